import { createInvite, fingerprint, generateIdentity } from "@volly/crypto";
import { type AccountEntry, type InvitePayload, newId, toBase64Url, VollyError } from "@volly/protocol";
import { describe, expect, it } from "vitest";
import { rehomeHandle } from "../src/account/account-move.js";
import { AccountDoc } from "../src/account/account-sync/account-doc.js";
import { homeServerOf, ownServerNames, serverNameOfUrl, typedHandle } from "../src/account/server-name.js";
import type { CommunityReads } from "../src/communities/community-reads.js";
import type { ConversationRecord } from "../src/conversations/conversation-records.js";
import type { ConversationsService } from "../src/conversations/conversations.js";
import { InvitesService, inviterHandle } from "../src/conversations/invites.js";
import { MentionChecks } from "../src/messaging/mention-checks.js";
import { deriveMentions, handleMentions, mentionsAsSeenBy, mentionsMeOf } from "../src/messaging/mentions.js";
import type { MessageRecord } from "../src/messaging/message-records.js";
import { validateSearch } from "../src/search/search-query.js";
import type { ClientContext } from "../src/shared/client-context.js";
import { useTestServer } from "./helpers.js";

const invalid = expect.objectContaining({ code: "VOLLY_E_HANDLE_INVALID" });

describe("handles after a move from a.example to b.example", () => {
  it("the old server's people gain @a.example, the new one's lose @b.example, others stay", () => {
    expect(rehomeHandle("bob", "a.example", "b.example")).toBe("bob@a.example");
    expect(rehomeHandle("carol@b.example", "a.example", "b.example")).toBe("carol");
    expect(rehomeHandle("dave@c.example:8443", "a.example", "b.example")).toBe("dave@c.example:8443");
  });
});

describe("server names", () => {
  it("are the URL's host, lowercase, with a non-default port", () => {
    expect(serverNameOfUrl("https://Chat.Example.org/some/path")).toBe("chat.example.org");
    expect(serverNameOfUrl("http://127.0.0.2:7001")).toBe("127.0.0.2:7001");
    expect(serverNameOfUrl("https://a.example:443")).toBe("a.example");
    expect(serverNameOfUrl("http://a.example:8443/")).toBe("a.example:8443");
    expect(() => serverNameOfUrl("not a url")).toThrow(expect.objectContaining({ code: "VOLLY_E_USAGE" }));
  });

  it("a profile's own names: each of its server URLs", () => {
    expect(ownServerNames({ serverUrl: "http://127.0.0.1:7001" })).toEqual(["127.0.0.1:7001"]);
    expect(
      ownServerNames({
        serverUrl: "https://a.example",
        serverUrls: ["https://a.example", "https://b.a.example:8443", "http://a.example"],
      }),
    ).toEqual(["a.example", "b.a.example:8443"]);
  });
});

describe("handles as users type them", () => {
  const own = ["a.example", "127.0.0.1:7001"];

  it("accepts user, @user, user@server, @user@server: lowercase, no @, bare on this server", () => {
    expect(typedHandle("alice", own)).toBe("alice");
    expect(typedHandle(" @Alice ", own)).toBe("alice");
    expect(typedHandle("alice@b.example", own)).toBe("alice@b.example");
    expect(typedHandle("@Alice@B.Example:8443", own)).toBe("alice@b.example:8443");
    expect(typedHandle("@alice@A.example", own)).toBe("alice");
    expect(typedHandle("alice@127.0.0.1:7001", own)).toBe("alice");
    // Same host, another port: another server.
    expect(typedHandle("alice@127.0.0.1:7002", own)).toBe("alice@127.0.0.1:7002");
    expect(typedHandle("alice@a.example", "a.example")).toBe("alice");
  });

  it("refuses anything else with VOLLY_E_HANDLE_INVALID naming it", () => {
    for (const bad of [
      "",
      "@",
      "al",
      "@@alice",
      "alice@",
      "alice@b..example",
      "a b",
      "alice@b.example:99999",
    ]) {
      expect(() => typedHandle(bad, own), bad).toThrow(invalid);
    }
    expect(() => typedHandle("@A b", own)).toThrow(expect.objectContaining({ details: { handle: "A b" } }));
  });

  it("knows the home server of a handle as a server shows it", () => {
    expect(homeServerOf("alice", "a.example")).toBe("a.example");
    expect(homeServerOf("alice@b.example", "a.example")).toBe("b.example");
    expect(homeServerOf("a b", "a.example")).toBeUndefined();
  });
});

describe("search from: with qualified handles", () => {
  it("normalizes from: like any typed handle; a bad one is VOLLY_E_USAGE", () => {
    expect(validateSearch("x", { from: "@Bob@B.example" }, ["a.example"]).from).toBe("bob@b.example");
    expect(validateSearch("x", { from: "bob@a.example" }, ["a.example"]).from).toBe("bob");
    expect(validateSearch("x", { from: "@Bob" }).from).toBe("bob");
    expect(() => validateSearch("x", { from: "bob@" })).toThrow(
      expect.objectContaining({ code: "VOLLY_E_USAGE" }),
    );
  });
});

describe("mentions of other servers' accounts", () => {
  it("@user@server is one mention of that handle; @user still works; e-mail addresses are not mentions", () => {
    expect(
      handleMentions("hi @Alice@B.example, @bob and @carol@127.0.0.3:7002. mail bob@example.com or @dave."),
    ).toEqual(["alice@b.example", "bob", "carol@127.0.0.3:7002", "dave"]);
    expect(handleMentions("@alice@a.example and @alice", ["a.example"])).toEqual(["alice"]);
    expect(deriveMentions("ping @erin@b.example")).toEqual({ handles: ["erin@b.example"] });
    // A trailing ':' is punctuation, not a port.
    expect(handleMentions("@erin@b.example: look")).toEqual(["erin@b.example"]);
    expect(handleMentions("x@erin@b.example")).toEqual([]);
  });

  it("a received mention names accounts as the sender's server shows them", () => {
    // This client is on b.example; bob is on a.example.
    const seen = mentionsAsSeenBy(
      ["alice", "carol@b.example", "dave@c.example", "bad handle"],
      "bob@a.example",
      ["b.example"],
    );
    expect(seen).toEqual(["alice@a.example", "carol", "dave@c.example"]);
    // From a sender on this server, handles are already as this server shows them.
    expect(mentionsAsSeenBy(["alice", "dave@c.example"], "bob", ["b.example"])).toEqual([
      "alice",
      "dave@c.example",
    ]);
    expect(mentionsMeOf({ handles: seen }, { handle: "carol" }, false, true)).toBe(true);
    expect(mentionsMeOf({ handles: seen }, { handle: "alice" }, false, true)).toBe(false);
  });
});

describe("the account document keeps other servers' handles", () => {
  it("contacts, direct conversations and verified marks may name user@server", () => {
    const doc = new AccountDoc();
    const accountId = newId();
    const id = newId();
    doc.noteContact({ accountId, handle: "alice@b.example:8443" });
    doc.noteConversation({ id, kind: "direct", createdAt: 1, peerHandle: "alice@b.example:8443" });
    doc.setVerification(accountId, { handle: "alice@b.example:8443", keys: "K".repeat(43), at: 2 });
    expect(doc.contacts()).toEqual([{ accountId, handle: "alice@b.example:8443" }]);
    expect(doc.conversations()).toEqual([
      { id, kind: "direct", createdAt: 1, peerHandle: "alice@b.example:8443" },
    ]);
    expect(doc.verification(accountId)?.handle).toBe("alice@b.example:8443");
    doc.ydoc.getMap("contacts").set(newId(), { handle: "Alice@b.example" });
    doc.ydoc.getMap("contacts").set(newId(), { handle: `alice@${"b".repeat(300)}` });
    doc.ydoc.getMap("contacts").set(newId(), { handle: "bob@c.example" });
    expect(doc.contacts().map((c) => c.handle)).toEqual(["alice@b.example:8443", "bob@c.example"]);
  });
});

/** An invite by a fresh identity for `handle` on `server`, and its key. */
function inviteFrom(server: string, handle = "alice") {
  const inviter = generateIdentity();
  const payload: InvitePayload = {
    v: 1,
    server,
    handle,
    fingerprint: fingerprint(inviter.signaturePublicKey),
    expiresAt: Date.now() + 3_600_000,
  };
  return { inviter, link: createInvite(payload, inviter.signaturePrivateKey) };
}

/**
 * An InvitesService on a profile of `serverUrl` whose directory knows `entries` (by handle, as the
 * server answers them) and whose openDirect returns a record naming the account it was given.
 */
function invitesOn(serverUrl: string, entries: Record<string, AccountEntry>) {
  const asked: string[] = [];
  const opened: { handle: string; invite: unknown }[] = [];
  const api = {
    async call(route: string, opts: { params: { handle: string } }) {
      if (route !== "getAccount") throw new Error(`unexpected ${route}`);
      asked.push(opts.params.handle);
      const entry = entries[opts.params.handle];
      if (!entry) throw new VollyError("VOLLY_E_UNKNOWN_HANDLE");
      return entry;
    },
  };
  const ctx = {
    profile: { serverUrl, handle: "zoe", accountId: newId(), deviceId: newId() },
    identity: generateIdentity(),
    api,
  } as unknown as ClientContext;
  const conversations = {
    async openDirect(account: AccountEntry, reason: unknown): Promise<ConversationRecord> {
      opened.push({ handle: account.handle, invite: reason });
      return { id: newId(), kind: "direct", peerHandle: account.handle } as ConversationRecord;
    },
  } as unknown as ConversationsService;
  return { invites: new InvitesService(ctx, conversations), asked, opened };
}

function entryOf(handle: string, key: Uint8Array): AccountEntry {
  return {
    accountId: newId(),
    handle,
    entityType: "human",
    devices: [{ deviceId: newId(), signaturePublicKey: toBase64Url(key) }],
  };
}

describe("invites from another server", () => {
  it("the inviter's handle: bare on this server, else qualified by the invite's server name", () => {
    expect(inviterHandle({ server: "https://a.example", handle: "alice" }, ["a.example"])).toBe("alice");
    expect(inviterHandle({ server: "http://A.example:8080", handle: "alice" }, ["a.example"])).toBe(
      "alice@a.example:8080",
    );
    expect(inviterHandle({ server: "https://b.example", handle: "alice" }, ["a.example"])).toBe(
      "alice@b.example",
    );
    for (const server of [
      "https://u@b.example",
      "https://b.example?x",
      "https://[::1]:7000",
      "https://b..example",
    ]) {
      expect(() => inviterHandle({ server, handle: "alice" }, ["a.example"]), server).toThrow(
        expect.objectContaining({ code: "VOLLY_E_INVITE_INVALID" }),
      );
    }
  });

  it("accepts another server's invite: looks the inviter up as handle@server, checks its key, opens the DM", async () => {
    const { inviter, link } = inviteFrom("http://127.0.0.3:7002");
    const { invites, asked, opened } = invitesOn("http://127.0.0.2:7001", {
      "alice@127.0.0.3:7002": entryOf("alice@127.0.0.3:7002", inviter.signaturePublicKey),
    });
    const conv = await invites.accept(` ${link}\n`);
    expect(conv.peerHandle).toBe("alice@127.0.0.3:7002");
    expect(asked).toEqual(["alice@127.0.0.3:7002"]);
    expect(opened).toEqual([
      {
        handle: "alice@127.0.0.3:7002",
        invite: { type: "invite", invite: link.slice("volly://invite/".length) },
      },
    ]);
  });

  it("a same-server invite still looks the inviter up bare", async () => {
    const { inviter, link } = inviteFrom("http://127.0.0.2:7001");
    const { invites, asked } = invitesOn("http://127.0.0.2:7001", {
      alice: entryOf("alice", inviter.signaturePublicKey),
    });
    expect((await invites.accept(link)).peerHandle).toBe("alice");
    expect(asked).toEqual(["alice"]);
  });

  it("another server's directory giving another key is VOLLY_E_INVITE_KEY_MISMATCH, nothing opened", async () => {
    const { link } = inviteFrom("https://b.example");
    const { invites, opened } = invitesOn("https://a.example", {
      "alice@b.example": entryOf("alice@b.example", generateIdentity().signaturePublicKey),
    });
    await expect(invites.accept(link)).rejects.toMatchObject({ code: "VOLLY_E_INVITE_KEY_MISMATCH" });
    expect(opened).toEqual([]);
  });
});

describe("own-server qualified handles against a real server", () => {
  const bed = useTestServer();

  it("@bob@<this server> is bob: DMs, groups, verification; a malformed one is VOLLY_E_HANDLE_INVALID", async () => {
    const [alice, bob, carol] = await bed.clients("alice", "bob", "carol");
    const here = serverNameOfUrl(bed.server.url);
    const direct = await alice!.resolveConversation(`@Bob@${here.toUpperCase()}`);
    expect(direct.peerHandle).toBe("bob");
    expect((await alice!.resolveConversation("@bob")).id).toBe(direct.id);
    const group = await alice!.conversations.createGroup("Team", [`bob@${here}`, "@BOB", `@alice@${here}`]);
    expect(group.members?.map((m) => m.handle)).toEqual(["bob"]);
    const added = await alice!.conversations.addMembers(group.id, [`@carol@${here}`]);
    expect(added.members?.map((m) => m.handle).sort()).toEqual(["bob", "carol"]);
    expect(await alice!.verification.state(`bob@${here}`)).toEqual({ handle: "bob", state: "unverified" });
    await expect(alice!.resolveConversation("@bob@")).rejects.toMatchObject({
      code: "VOLLY_E_HANDLE_INVALID",
    });
    await expect(alice!.conversations.createGroup("X", ["bob@b..example"])).rejects.toMatchObject({
      code: "VOLLY_E_HANDLE_INVALID",
    });
    expect(bob).toBeDefined();
    expect(carol).toBeDefined();
  });

  it("findDirect, lookup, search in:@ and community members take @user@<this server> as user", async () => {
    const [alice, bob] = await bed.clients("alice", "bob");
    const here = serverNameOfUrl(bed.server.url);
    const direct = await alice!.resolveConversation("@bob");
    expect((await alice!.conversations.findDirect(`@Bob@${here.toUpperCase()}`))?.id).toBe(direct.id);
    expect((await alice!.conversations.findDirect("bob"))?.id).toBe(direct.id);
    expect(await alice!.conversations.findDirect("@carol")).toBeUndefined();
    await expect(alice!.conversations.findDirect("bob@")).rejects.toMatchObject({
      code: "VOLLY_E_HANDLE_INVALID",
    });
    expect((await alice!.lookup(`@BOB@${here}`)).handle).toBe("bob");
    await expect(alice!.lookup("@bob@@x")).rejects.toMatchObject({ code: "VOLLY_E_HANDLE_INVALID" });

    const sent = await alice!.messaging.send(direct.id, "lunch at noon");
    const hits = await alice!.search.messages(`in:@Bob@${here} lunch`);
    expect(hits.map((h) => h.message.id)).toEqual([sent.id]);
    await expect(alice!.search.messages("in:@carol lunch")).rejects.toMatchObject({
      code: "VOLLY_E_UNKNOWN_CONVERSATION",
    });
    await expect(alice!.search.messages("in:@bob@ lunch")).rejects.toMatchObject({ code: "VOLLY_E_USAGE" });

    const { communityId } = await alice!.communities.create("Guild");
    // Another server's account is looked up through this server, which does not federate here: unknown.
    await expect(alice!.communities.kick(communityId, "@bob@b.example")).rejects.toMatchObject({
      code: "VOLLY_E_UNKNOWN_HANDLE",
    });
    // This server's bob, named qualified by this server: looked up (not a member, so the server refuses).
    await expect(alice!.communities.kick(communityId, `@bob@${here}`)).rejects.not.toMatchObject({
      code: "VOLLY_E_USAGE",
    });
    await expect(alice!.communities.kick(communityId, "@b")).rejects.toMatchObject({
      code: "VOLLY_E_HANDLE_INVALID",
    });
    expect(bob).toBeDefined();
  });
});

describe("mention checks across servers (receiving and sending device)", () => {
  /** A MentionChecks of alice on a.example; no community reads are needed outside channels. */
  function checks(handle = "alice") {
    const ctx = {
      profile: {
        handle,
        accountId: newId(),
        serverUrl: "https://a.example",
        serverUrls: ["https://a.example"],
      },
    } as unknown as ClientContext;
    const reads = {
      cached: () => false,
      read: () => Promise.reject(new Error("no community read expected")),
    } as unknown as CommunityReads;
    return new MentionChecks(ctx, reads);
  }
  const received = (from: string): MessageRecord =>
    ({
      id: newId(),
      conversationId: newId(),
      from,
      fromDeviceId: "",
      direction: "in",
      sentAt: 1000,
      receivedAt: 1000,
    }) as unknown as MessageRecord;

  it("a bare @alice from another server's sender is that server's alice: kept as sent, not mine", async () => {
    expect(await checks().incoming({ handles: ["alice"] }, received("bob@b.example"))).toEqual({
      mentions: { handles: ["alice"] },
    });
  });

  it("@alice@<my server> from another server, and a bare @alice from this server, mention me", async () => {
    expect(await checks().incoming({ handles: ["alice@a.example"] }, received("bob@b.example"))).toEqual({
      mentions: { handles: ["alice@a.example"] },
      mentionsMe: true,
    });
    expect(await checks().incoming({ handles: ["alice", "carol@b.example"] }, received("dan"))).toEqual({
      mentions: { handles: ["alice", "carol@b.example"] },
      mentionsMe: true,
    });
    // An account of the sender's server with my user part is not me.
    expect(
      (await checks().incoming({ handles: ["alice@b.example"] }, received("dan"))).mentionsMe,
    ).toBeUndefined();
  });

  it("the sending device carries @user@<its own server> bare and other servers' handles qualified", async () => {
    expect(await checks().outgoing("hi @Bob@A.example and @carol@B.example", {})).toEqual({
      mentions: { handles: ["bob", "carol@b.example"] },
    });
  });
});
