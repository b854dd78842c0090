import { join } from "node:path";
import type { MessageAction, MessageRecord, VollyClient } from "@volly/client";
import { linkNodeProfile } from "@volly/client/node";
import { restApi, sendRawContent } from "@volly/client/testing";
import { newId, type VollyError } from "@volly/protocol";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../../test/helpers/wait-for.js";
import { reopenClient, TEST_KDF, useTestServer } from "./helpers.js";

/** What a user sees of one message: its text or tombstone, reply, reactions, edits and pin. */
function viewOf(m: MessageRecord | undefined) {
  if (!m) return undefined;
  return {
    body:
      m.body.type === "text"
        ? m.body.text
        : m.body.type === "deleted"
          ? `(deleted by ${m.body.by.handle})`
          : "?",
    replyTo: m.replyTo,
    reactions: (m.reactions ?? []).map((r) => [r.emoji, r.by.map((a) => a.handle)]),
    edits: (m.edits ?? []).map((e) => e.text),
    originalText: m.originalText,
    pinned: m.pinnedAt !== undefined,
  };
}

async function viewOn(client: VollyClient, conversationId: string, id: string) {
  return viewOf((await client.messaging.history(conversationId, 1_000)).find((m) => m.id === id));
}

describe("message actions (SDK): replies, reactions, edits, deletes, pins on every device", () => {
  const bed = useTestServer();

  /** Links a second device to `owner`'s account (its conversations are handed over); not connected. */
  async function linkDevice(owner: VollyClient, name: string): Promise<VollyClient> {
    const link = await owner.devices.startLink();
    const [device] = await Promise.all([
      linkNodeProfile(
        join(bed.home, name),
        { code: link.code, pin: "123456", deviceName: name, kdf: TEST_KDF, pollIntervalMs: 50 },
        { initialBackoffMs: 50, maxBackoffMs: 300 },
      ),
      owner.devices.waitAndApprove(link.linkId, link.secret, 10_000),
    ]);
    return bed.track(device);
  }

  /** alice and bob with two connected devices each, in a direct conversation. */
  async function twoByTwo() {
    const [alice, bob] = (await bed.clients("alice", "bob")) as [VollyClient, VollyClient];
    const conv = await alice.resolveConversation("@bob");
    const aliceLaptop = await linkDevice(alice, "alice-laptop");
    const bobLaptop = await linkDevice(bob, "bob-laptop");
    await aliceLaptop.connect();
    await bobLaptop.connect();
    const all = [alice, aliceLaptop, bob, bobLaptop];
    for (const c of all) {
      await waitFor(async () => (await c.conversations.list()).some((x) => x.id === conv.id), {
        message: "every device has the conversation",
      });
    }
    return { alice, aliceLaptop, bob, bobLaptop, all, convId: conv.id };
  }

  /** Waits until every device shows message `id` as `expected`. */
  async function converge(
    devices: VollyClient[],
    conversationId: string,
    id: string,
    expected: Partial<NonNullable<ReturnType<typeof viewOf>>>,
    what: string,
  ) {
    for (const [i, c] of devices.entries()) {
      await waitFor(
        async () => {
          const view = await viewOn(c, conversationId, id);
          return (
            view !== undefined &&
            Object.entries(expected).every(
              ([k, v]) => JSON.stringify(view[k as keyof typeof view]) === JSON.stringify(v),
            )
          );
        },
        { message: `${what} on device ${i}` },
      );
    }
  }

  it("two people with two devices each: reply, react/unreact, edit, pin/unpin, delete for everyone and for me", async () => {
    const { alice, aliceLaptop, bob, bobLaptop, all, convId } = await twoByTwo();
    const seen: MessageAction[] = [];
    bobLaptop.messaging.actions.add((a) => seen.push(a));

    const lunch = await alice.messaging.send(convId, "lunch at noon?");
    await converge(all, convId, lunch.id, { body: "lunch at noon?" }, "the message");

    // reply
    const reply = await bob.messaging.send(convId, "yes @alice", { replyTo: lunch.id });
    expect(reply.replyTo).toBe(lunch.id);
    await converge(all, convId, reply.id, { body: "yes @alice", replyTo: lunch.id }, "the reply");
    await expect(bob.messaging.send(convId, "to nothing", { replyTo: newId() })).rejects.toMatchObject({
      code: "VOLLY_E_UNKNOWN_MESSAGE",
    });

    // reactions: one per account per emoji, from any device of the account; time-ordered everywhere
    await bob.messaging.react(convId, lunch.id, "👍");
    await converge(all, convId, lunch.id, { reactions: [["👍", ["bob"]]] }, "bob's reaction");
    await bobLaptop.messaging.react(convId, lunch.id, "👍");
    await alice.messaging.react(convId, lunch.id, "👍");
    await aliceLaptop.messaging.react(convId, lunch.id, "🎉");
    await converge(
      all,
      convId,
      lunch.id,
      {
        reactions: [
          ["👍", ["bob", "alice"]],
          ["🎉", ["alice"]],
        ],
      },
      "reactions",
    );
    await bobLaptop.messaging.unreact(convId, lunch.id, "👍");
    await converge(
      all,
      convId,
      lunch.id,
      {
        reactions: [
          ["👍", ["alice"]],
          ["🎉", ["alice"]],
        ],
      },
      "unreact",
    );
    await expect(bob.messaging.react(convId, lunch.id, "bad\u0007")).rejects.toMatchObject({
      code: "VOLLY_E_USAGE",
    });
    await expect(bob.messaging.react(convId, lunch.id, "x".repeat(33))).rejects.toMatchObject({
      code: "VOLLY_E_USAGE",
    });

    // edit: only the sender's account, from either of its devices; history kept
    await alice.messaging.edit(convId, lunch.id, "lunch at one?");
    await aliceLaptop.messaging.edit(convId, lunch.id, "lunch at two?");
    await converge(
      all,
      convId,
      lunch.id,
      { body: "lunch at two?", edits: ["lunch at one?", "lunch at two?"], originalText: "lunch at noon?" },
      "the edits",
    );
    const refused = await bob.messaging.edit(convId, lunch.id, "mine now").catch((e: VollyError) => e);
    expect(refused).toMatchObject({ code: "VOLLY_E_FORBIDDEN", details: { reason: "not-sender" } });
    expect((await viewOn(bob, convId, lunch.id))?.body).toBe("lunch at two?");

    // pins: any member outside channels; a pinned list per conversation
    await bob.messaging.pin(convId, lunch.id);
    for (const c of all) {
      await waitFor(async () => (await c.messaging.pinned(convId)).map((m) => m.id).join() === lunch.id, {
        message: "pinned everywhere",
      });
    }
    await aliceLaptop.messaging.unpin(convId, lunch.id);
    for (const c of all) {
      await waitFor(async () => (await c.messaging.pinned(convId)).length === 0, {
        message: "unpinned everywhere",
      });
    }

    // delete for everyone: a tombstone on every device, and the server no longer holds the ciphertext
    const oops = await alice.messaging.send(convId, "oops, wrong chat");
    await converge(all, convId, oops.id, { body: "oops, wrong chat" }, "oops");
    const refusedDelete = await bob.messaging.delete(convId, oops.id, "everyone").catch((e: VollyError) => e);
    expect(refusedDelete).toMatchObject({
      code: "VOLLY_E_FORBIDDEN",
      details: { permission: "MANAGE_MESSAGES" },
    });
    expect(serverHolds(oops.id)).toBe(true);
    await aliceLaptop.messaging.delete(convId, oops.id, "everyone");
    await converge(all, convId, oops.id, { body: "(deleted by alice)", reactions: [] }, "the tombstone");
    expect(serverHolds(oops.id)).toBe(false);
    await expect(
      restApi(alice).call("deleteMessage", { params: { groupId: convId, messageId: oops.id } }),
    ).rejects.toMatchObject({
      code: "VOLLY_E_UNKNOWN_MESSAGE",
    });
    await expect(alice.messaging.edit(convId, oops.id, "back")).rejects.toMatchObject({
      code: "VOLLY_E_UNKNOWN_MESSAGE",
    });

    // delete for me: gone on that device only
    await bobLaptop.messaging.delete(convId, reply.id, "me");
    expect(await viewOn(bobLaptop, convId, reply.id)).toBeUndefined();
    for (const c of [alice, aliceLaptop, bob])
      expect((await viewOn(c, convId, reply.id))?.body).toBe("yes @alice");

    // the event stream saw each kind
    expect(new Set(seen.map((a) => a.type))).toEqual(new Set(["reaction", "edit", "pin", "delete"]));
    for (const c of all) expect(await c.messaging.undecryptable()).toEqual({});
  }, 90_000);

  it("a forged edit or delete by someone who did not send the message is ignored on every device", async () => {
    const { alice, aliceLaptop, bob, bobLaptop, all, convId } = await twoByTwo();
    const m = await alice.messaging.send(convId, "the real text");
    await converge(all, convId, m.id, { body: "the real text" }, "the message");
    // bob's device sends what the SDK would refuse to: an edit and a delete of alice's message
    await sendRawContent(bob, convId, {
      v: 1,
      type: "edit",
      id: newId(),
      targetId: m.id,
      text: "forged",
      sentAt: Date.now(),
    });
    await sendRawContent(bobLaptop, convId, {
      v: 1,
      type: "delete",
      id: newId(),
      targetId: m.id,
      sentAt: Date.now(),
    });
    // markers after them: once a device has the other account's marker, it processed the forged ones
    const fromBob = await bob.messaging.send(convId, "marker from bob");
    const fromAlice = await alice.messaging.send(convId, "marker from alice");
    await converge([alice, aliceLaptop], convId, fromBob.id, { body: "marker from bob" }, "bob's marker");
    await converge([bob, bobLaptop], convId, fromAlice.id, { body: "marker from alice" }, "alice's marker");
    for (const c of all) expect((await viewOn(c, convId, m.id))?.body).toBe("the real text");
  }, 60_000);

  it("edits that arrive out of order: the sender's latest by time wins on every device", async () => {
    const { alice, aliceLaptop, bob, bobLaptop, convId } = await twoByTwo();
    const m = await alice.messaging.send(convId, "first draft");
    const now = Date.now();
    // the later edit is sent (and arrives) first, as when two of the sender's devices edit in turn
    await sendRawContent(alice, convId, {
      v: 1,
      type: "edit",
      id: newId(),
      targetId: m.id,
      text: "the later edit",
      sentAt: now + 1_000,
    });
    await sendRawContent(alice, convId, {
      v: 1,
      type: "edit",
      id: newId(),
      targetId: m.id,
      text: "the earlier edit",
      sentAt: now,
    });
    // raw content is not applied on the device that sends it: the three others
    await converge(
      [aliceLaptop, bob, bobLaptop],
      convId,
      m.id,
      { body: "the later edit", edits: ["the earlier edit", "the later edit"], originalText: "first draft" },
      "the later edit everywhere",
    );
  }, 60_000);

  it("reactions, edits and deletes that arrive before their message wait for it; a device offline through all of it converges", async () => {
    const { alice, bob, bobLaptop, convId } = await twoByTwo();
    // bob's laptop is away for everything that follows
    bed.untrack(bobLaptop);
    await bobLaptop.close();

    // actions sent before the message they target (as a hand-over or a peer-to-peer path can deliver them)
    const early = newId();
    const gone = newId();
    const now = Date.now();
    await sendRawContent(alice, convId, {
      v: 1,
      type: "reaction",
      id: newId(),
      targetId: early,
      emoji: "🔥",
      sentAt: now,
    });
    await sendRawContent(alice, convId, {
      v: 1,
      type: "edit",
      id: newId(),
      targetId: early,
      text: "edited early",
      sentAt: now + 1,
    });
    await sendRawContent(alice, convId, {
      v: 1,
      type: "delete",
      id: newId(),
      targetId: gone,
      sentAt: now + 2,
    });
    await sendRawContent(alice, convId, {
      v: 1,
      type: "pin",
      id: newId(),
      targetId: early,
      pinned: true,
      sentAt: now + 3,
    });
    await sendRawContent(alice, convId, {
      v: 1,
      type: "text",
      id: early,
      text: "first draft",
      sentAt: now + 4,
    });
    await sendRawContent(alice, convId, {
      v: 1,
      type: "text",
      id: gone,
      text: "never seen",
      sentAt: now + 5,
    });
    // and ordinary actions in order, while the laptop is away
    const later = await alice.messaging.send(convId, "later");
    await bob.messaging.react(convId, later.id, "✅");
    await alice.messaging.edit(convId, later.id, "later, edited");

    const expected = {
      [early]: {
        body: "edited early",
        reactions: [["🔥", ["alice"]]],
        edits: ["edited early"],
        pinned: true,
      },
      [gone]: { body: "(deleted by alice)" },
      [later.id]: { body: "later, edited", reactions: [["✅", ["bob"]]] },
    };
    for (const [id, view] of Object.entries(expected))
      await converge([bob], convId, id, view, `online: ${id}`);

    // the laptop comes back and catches up: the same view
    const back = bed.track(await reopenClient(bed.home, "bob-laptop"));
    await back.connect();
    for (const [id, view] of Object.entries(expected))
      await converge([back], convId, id, view, `caught up: ${id}`);
    for (const id of Object.keys(expected)) {
      expect(await viewOn(back, convId, id)).toEqual(await viewOn(bob, convId, id));
    }
    expect((await back.messaging.pinned(convId)).map((m) => m.id)).toEqual([early]);
  }, 90_000);

  it("actions waiting for a message are bounded: the oldest beyond 64 per message, and those older than 30 days, are dropped", async () => {
    const [alice, bob] = (await bed.clients("alice", "bob")) as [VollyClient, VollyClient];
    const convId = (await alice.resolveConversation("@bob")).id;
    await waitFor(async () => (await bob.conversations.list()).some((x) => x.id === convId), {
      message: "bob has the conversation",
    });
    const busy = newId();
    const stale = newId();
    const now = Date.now();
    // 66 edits before their message: only the newest 64 wait for it
    for (let i = 1; i <= 66; i++) {
      await sendRawContent(alice, convId, {
        v: 1,
        type: "edit",
        id: newId(),
        targetId: busy,
        text: `edit ${i}`,
        sentAt: now + i,
      });
    }
    // a reaction sent 31 days ago (by its sender's clock) never applies
    await sendRawContent(alice, convId, {
      v: 1,
      type: "reaction",
      id: newId(),
      targetId: stale,
      emoji: "🕸️",
      sentAt: now - 31 * 24 * 3600 * 1000,
    });
    await sendRawContent(alice, convId, { v: 1, type: "text", id: busy, text: "busy", sentAt: now });
    await sendRawContent(alice, convId, { v: 1, type: "text", id: stale, text: "stale", sentAt: now });
    await waitFor(async () => (await viewOn(bob, convId, stale)) !== undefined, { message: "bob has both" });
    const busyView = await viewOn(bob, convId, busy);
    expect(busyView?.body).toBe("edit 66");
    expect(busyView?.edits).toEqual(Array.from({ length: 64 }, (_, i) => `edit ${i + 3}`));
    expect((await viewOn(bob, convId, stale))?.reactions).toEqual([]);
  }, 120_000);

  it("a newly linked device gets reactions, edits, replies and tombstones in the history hand-over", async () => {
    const { alice, bob, convId } = await twoByTwo();
    const m = await alice.messaging.send(convId, "original");
    await waitFor(async () => (await viewOn(bob, convId, m.id)) !== undefined, { message: "bob has it" });
    const r = await bob.messaging.send(convId, "a reply", { replyTo: m.id });
    const d = await alice.messaging.send(convId, "to delete");
    await waitFor(async () => (await viewOn(alice, convId, r.id)) !== undefined, {
      message: "alice has the reply",
    });
    await bob.messaging.react(convId, m.id, "❤️");
    await alice.messaging.edit(convId, m.id, "edited");
    await alice.messaging.delete(convId, d.id, "everyone");
    await alice.messaging.pin(convId, m.id);
    await waitFor(async () => (await viewOn(alice, convId, m.id))?.reactions.length === 1, {
      message: "alice has the reaction",
    });

    const tablet = await linkDevice(alice, "alice-tablet");
    await tablet.connect();
    for (const id of [m.id, r.id, d.id]) {
      await waitFor(
        async () =>
          JSON.stringify(await viewOn(tablet, convId, id)) ===
          JSON.stringify(await viewOn(alice, convId, id)),
        {
          message: `the tablet's view of ${id}`,
        },
      );
    }
    expect(await viewOn(tablet, convId, m.id)).toMatchObject({
      body: "edited",
      reactions: [["❤️", ["bob"]]],
      pinned: true,
    });
    expect((await viewOn(tablet, convId, d.id))?.body).toBe("(deleted by alice)");
    // an edit after the hand-over still applies (the sender's account came along)
    await alice.messaging.edit(convId, m.id, "edited again");
    await converge([tablet], convId, m.id, { body: "edited again" }, "a later edit");
  }, 90_000);

  it("actions still waiting for their message pass through the hand-over: the new device applies them when it comes", async () => {
    const { alice, bob, convId } = await twoByTwo();
    const early = newId();
    const now = Date.now();
    // bob reacts to and edits a message of his that nobody has yet (it comes later)
    await sendRawContent(bob, convId, {
      v: 1,
      type: "reaction",
      id: newId(),
      targetId: early,
      emoji: "🌅",
      sentAt: now,
    });
    await sendRawContent(bob, convId, {
      v: 1,
      type: "edit",
      id: newId(),
      targetId: early,
      text: "sunrise, edited",
      sentAt: now + 1,
    });
    // a message after them in the log: once alice has it, her phone has processed (and kept) both
    const marker = await bob.messaging.send(convId, "marker");
    await waitFor(async () => (await viewOn(alice, convId, marker.id)) !== undefined, {
      message: "alice's phone has the marker",
    });
    // alice's phone holds both, waiting; her new tablet was not in the conversation when they were sent
    const tablet = await linkDevice(alice, "alice-tablet");
    await tablet.connect();
    await waitFor(async () => (await tablet.conversations.list()).some((c) => c.id === convId), {
      message: "the tablet has the conversation",
    });
    // now the message arrives: both devices show the reaction and the edit
    await sendRawContent(bob, convId, { v: 1, type: "text", id: early, text: "sunrise", sentAt: now + 2 });
    const expected = { body: "sunrise, edited", reactions: [["🌅", ["bob"]]], edits: ["sunrise, edited"] };
    await converge([alice, tablet], convId, early, expected, "the early actions");
  }, 90_000);

  it("in a community channel a member with MANAGE_MESSAGES deletes and pins others' messages; others are refused", async () => {
    const [alice, bob, carol] = (await bed.clients("alice", "bob", "carol")) as [
      VollyClient,
      VollyClient,
      VollyClient,
    ];
    const { communityId, channels } = await alice.communities.create("Guild");
    const general = channels[0]?.channelId as string;
    const convId = await alice.communities.conversationOf(general);
    const invite = (await alice.communities.createInvite(communityId)).link;
    await bob.communities.join(invite);
    await carol.communities.join(invite);
    expect(await bob.communities.conversationOf(general)).toBe(convId);
    expect(await carol.communities.conversationOf(general)).toBe(convId);
    await waitFor(async () => (await alice.conversations.get(convId)).members?.length === 2, {
      message: "alice processed both joins",
    });
    const everyone = [alice, bob, carol];
    const byBob = await bob.messaging.send(convId, "spam spam spam");
    await converge(everyone, convId, byBob.id, { body: "spam spam spam" }, "bob's message");

    // carol holds no MANAGE_MESSAGES: the server refuses her delete, the SDK her pin
    const refused = await carol.messaging.delete(convId, byBob.id, "everyone").catch((e: VollyError) => e);
    expect(refused).toMatchObject({ code: "VOLLY_E_FORBIDDEN", details: { permission: "MANAGE_MESSAGES" } });
    expect(serverHolds(byBob.id)).toBe(true);
    const refusedPin = await carol.messaging.pin(convId, byBob.id).catch((e: VollyError) => e);
    expect(refusedPin).toMatchObject({
      code: "VOLLY_E_FORBIDDEN",
      details: { permission: "MANAGE_MESSAGES" },
    });
    // and what her device sends anyway is ignored: every device checks the community's role table
    await sendRawContent(carol, convId, {
      v: 1,
      type: "delete",
      id: newId(),
      targetId: byBob.id,
      sentAt: Date.now(),
    });
    await sendRawContent(carol, convId, {
      v: 1,
      type: "pin",
      id: newId(),
      targetId: byBob.id,
      pinned: true,
      sentAt: Date.now(),
    });
    const marker = await carol.messaging.send(convId, "marker");
    await converge([alice, bob], convId, marker.id, { body: "marker" }, "carol's marker");
    for (const c of everyone)
      expect(await viewOn(c, convId, byBob.id)).toMatchObject({ body: "spam spam spam", pinned: false });

    // a moderator role: carol pins and deletes bob's message on every device, and the server drops it
    const mod = await alice.communities.createRole(communityId, {
      name: "mod",
      permissions: ["MANAGE_MESSAGES"],
    });
    await alice.communities.assignRole(communityId, "@carol", mod.roleId);
    await carol.messaging.pin(convId, byBob.id);
    await converge(everyone, convId, byBob.id, { pinned: true }, "carol's pin");
    await carol.messaging.delete(convId, byBob.id, "everyone");
    await converge(
      everyone,
      convId,
      byBob.id,
      { body: "(deleted by carol)", pinned: false },
      "carol's delete",
    );
    expect(serverHolds(byBob.id)).toBe(false);
    for (const c of everyone) expect(await c.messaging.pinned(convId)).toEqual([]);
  }, 90_000);

  /** Whether the server's log still holds a message's ciphertext (its SQLite database, read directly). */
  function serverHolds(messageId: string): boolean {
    const db = new Database(join(bed.server.dataDir, "volly.db"), { readonly: true, fileMustExist: true });
    try {
      return db.prepare("SELECT 1 FROM group_log WHERE message_id = ?").get(messageId) !== undefined;
    } finally {
      db.close();
    }
  }
});
