import {
  deriveMentions,
  handleMentions,
  type MessageRecord,
  mentionsMeOf,
  type VollyClient,
} from "@volly/client";
import { sendRawContent } from "@volly/client/testing";
import { MAX_MENTIONED_HANDLES, newId } from "@volly/protocol";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../../test/helpers/wait-for.js";
import { inbox, useTestServer } from "./helpers.js";

const roles = [
  { roleId: "r-mods", name: "Mods" },
  { roleId: "r-team", name: "core team" },
];

describe("mentions: derivation from the text", () => {
  it("finds @handles anywhere, each once, not in e-mail addresses, without a sentence's full stop", () => {
    expect(handleMentions("hi @bob and @carol.smith. mail bob@example.org, @bob again")).toEqual([
      "bob",
      "carol.smith",
    ]);
    expect(deriveMentions("no mention here")).toBeUndefined();
    expect(deriveMentions("@bob look")).toEqual({ handles: ["bob"] });
  });

  it("outside channels @everyone and @here are plain handles-shaped text, never broadcasts", () => {
    expect(deriveMentions("@everyone @here")).toEqual({ handles: ["everyone", "here"] });
  });

  it("in a channel: @everyone, @here, and role names (case-insensitive, whole token) when allowed", () => {
    const text = "@everyone @here ping @mods and @core team, not @modsquad, hi @bob";
    expect(deriveMentions(text, { roles, mayMentionRoles: true })).toEqual({
      handles: ["mods", "core", "modsquad", "bob"],
      everyone: true,
      here: true,
      roles: ["r-mods", "r-team"],
    });
    expect(deriveMentions("@Mods help", { roles, mayMentionRoles: false })).toEqual({ handles: ["mods"] });
  });

  it("bounds the handles a message carries", () => {
    const text = Array.from({ length: 80 }, (_, i) => `@user${i}`).join(" ");
    expect(deriveMentions(text)?.handles).toHaveLength(MAX_MENTIONED_HANDLES);
  });
});

describe("mentions: who is mentioned on receipt", () => {
  const me = { handle: "bob", roleIds: ["r-mods"] };
  it("by handle everywhere; by @everyone, @here (live only) and roles only from a privileged sender", () => {
    expect(mentionsMeOf({ handles: ["bob"] }, { handle: "bob" }, false, false)).toBe(true);
    expect(mentionsMeOf({ handles: ["carol"] }, me, true, true)).toBe(false);
    expect(mentionsMeOf({ everyone: true }, me, false, true)).toBe(false);
    expect(mentionsMeOf({ everyone: true }, me, true, false)).toBe(true);
    expect(mentionsMeOf({ here: true }, me, true, true)).toBe(true);
    expect(mentionsMeOf({ here: true }, me, true, false)).toBe(false);
    expect(mentionsMeOf({ roles: ["r-mods"] }, me, true, true)).toBe(true);
    expect(mentionsMeOf({ roles: ["r-team"] }, me, true, true)).toBe(false);
    expect(mentionsMeOf({ roles: ["r-mods"] }, me, false, true)).toBe(false);
    // not a channel (no roleIds): @everyone is ignored even from a "privileged" sender
    expect(mentionsMeOf({ everyone: true }, { handle: "bob" }, true, true)).toBe(false);
  });
});

describe("mentions (SDK): sent, checked against the role table on receipt, counted apart", () => {
  const bed = useTestServer();

  const find = (got: MessageRecord[], text: string) =>
    got.find((m) => m.body.type === "text" && m.body.text === text);

  it("ignores @everyone from a member without MENTION_EVERYONE; counts handle, role and @everyone mentions", async () => {
    const [alice, bob] = (await bed.clients("alice", "bob")) as [VollyClient, VollyClient];
    const { communityId, channels } = await alice.communities.create("Guild");
    const general = channels[0]?.channelId as string;
    await bob.communities.join((await alice.communities.createInvite(communityId)).link);
    const convId = await alice.communities.conversationOf(general);
    await waitFor(async () => (await alice.conversations.get(convId)).members?.length === 1, {
      message: "alice's device processed bob's join",
    });
    const aliceGot = inbox(alice);
    const bobGot = inbox(bob);

    // bob may not mention everyone: the server refuses the declared message...
    await expect(bob.sendText(general, "@everyone look")).rejects.toMatchObject({
      code: "VOLLY_E_FORBIDDEN",
    });
    // ...and a lying client that leaves the declaration out is caught by the receivers
    const id = newId();
    await sendRawContent(bob, convId, {
      v: 1,
      type: "text",
      id,
      text: "@everyone sneaky",
      sentAt: Date.now(),
      mentions: { everyone: true },
    });
    await waitFor(() => find(aliceGot, "@everyone sneaky") !== undefined, { message: "alice gets it" });
    const sneaky = find(aliceGot, "@everyone sneaky");
    expect(sneaky?.mentionsMe).toBeUndefined();
    expect(sneaky?.mentions).toBeUndefined();

    // a handle mention counts for the mentioned account
    await bob.sendText(general, "hey @alice");
    await waitFor(() => find(aliceGot, "hey @alice") !== undefined, { message: "alice gets the mention" });
    expect(find(aliceGot, "hey @alice")).toMatchObject({
      mentionsMe: true,
      mentions: { handles: ["alice"] },
    });
    const aliceSummary = (await alice.conversations.summaries()).find((s) => s.conversation.id === convId);
    expect(aliceSummary).toMatchObject({ unread: 2, unreadMentions: 1 });
    await alice.messaging.markRead(convId);
    expect((await alice.conversations.summaries()).find((s) => s.conversation.id === convId)).toMatchObject({
      unread: 0,
      unreadMentions: 0,
    });

    // the owner mentions a role bob holds, then everyone
    const mods = await alice.communities.createRole(communityId, { name: "Mods" });
    await alice.communities.assignRole(communityId, bob.profile.accountId, mods.roleId);
    await alice.sendText(general, "@Mods please check");
    await alice.sendText(general, "@here meeting now");
    await waitFor(() => find(bobGot, "@here meeting now") !== undefined, { message: "bob gets both" });
    expect(find(bobGot, "@Mods please check")).toMatchObject({
      mentionsMe: true,
      mentions: { roles: [mods.roleId] },
    });
    expect(find(bobGot, "@here meeting now")).toMatchObject({ mentionsMe: true, mentions: { here: true } });
    expect((await bob.conversations.summaries()).find((s) => s.conversation.id === convId)).toMatchObject({
      unreadMentions: 2,
    });
  }, 120_000);
});
