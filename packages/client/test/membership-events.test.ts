import { join } from "node:path";
import type { ConversationRecord, MessageRecord, VollyClient } from "@volly/client";
import { linkNodeProfile } from "@volly/client/node";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../../test/helpers/wait-for.js";
import { newClient, TEST_KDF, texts, useTestServer } from "./helpers.js";

/** A membership event as a test compares it: who did what to whom (handles), and its direction. */
interface EventLine {
  change: string;
  actor: string;
  subjects: string[];
  name?: string;
  direction: MessageRecord["direction"];
}

/** The membership events of a conversation as `client` stores them, oldest first. */
async function events(client: VollyClient, conversationId: string): Promise<EventLine[]> {
  const out: EventLine[] = [];
  for (const m of await client.messaging.history(conversationId)) {
    // read structurally: MessageRecord.body is a union whose membership kind this file checks
    const body = m.body as {
      type: string;
      change?: string;
      actor?: { handle: string };
      subjects?: Array<{ handle: string }>;
      name?: string;
    };
    if (body.type !== "membership") continue;
    out.push({
      change: String(body.change),
      actor: String(body.actor?.handle),
      subjects: (body.subjects ?? []).map((s) => s.handle),
      ...(body.name !== undefined ? { name: body.name } : {}),
      direction: m.direction,
    });
  }
  return out;
}

/** Waits until `client` has stored `count` membership events in the conversation. */
async function eventCount(client: VollyClient, conversationId: string, count: number): Promise<EventLine[]> {
  await waitFor(async () => (await events(client, conversationId)).length >= count, {
    message: `${count} events`,
  });
  return events(client, conversationId);
}

/** The record's fields this file checks that older records did not have. */
type Record2 = ConversationRecord & {
  formerMembers?: Array<{ handle: string; displayName?: string }>;
  membershipEnd?: { reason: string; by?: { handle: string; displayName?: string } };
};

describe("membership events: who added, removed, left and renamed, derived by each device from MLS", () => {
  const bed = useTestServer();

  async function person(handle: string, displayName: string): Promise<VollyClient> {
    const client = bed.track(await newClient(bed.home, bed.server.url, handle, { displayName }));
    await client.connect();
    return client;
  }

  it("added, renamed and removed: every member's timeline tells it; the removed member is told who removed them; names stay", async () => {
    const alice = await person("alice", "Alice Martin");
    const bob = await person("bob", "Bob Stone");
    const carol = await person("carol.diaz-oneil", "Carol Díaz-O'Neil");
    const group = await alice.conversations.createGroup("Trip", ["bob"]);
    await waitFor(async () => (await bob.conversations.list())[0]?.title === "Trip", {
      message: "bob joins",
    });
    await alice.conversations.addMembers(group.id, ["carol.diaz-oneil"]);
    await waitFor(async () => (await carol.conversations.list())[0]?.title === "Trip", {
      message: "carol joins",
    });
    await carol.messaging.send(group.id, "count me in");
    await waitFor(async () => (await texts(bob, group.id)).includes("count me in"), {
      message: "bob reads carol",
    });
    await alice.conversations.rename(group.id, "Weekend trip");
    await waitFor(async () => (await bob.conversations.get(group.id)).title === "Weekend trip", {
      message: "renamed",
    });
    await alice.conversations.removeMember(group.id, "carol.diaz-oneil");

    // bob: alice added him (from the Welcome), then added carol, renamed, removed carol
    expect(await eventCount(bob, group.id, 4)).toEqual([
      { change: "joined", actor: "alice", subjects: ["bob"], direction: "in" },
      { change: "added", actor: "alice", subjects: ["carol.diaz-oneil"], direction: "in" },
      { change: "renamed", actor: "alice", subjects: [], name: "Weekend trip", direction: "in" },
      { change: "removed", actor: "alice", subjects: ["carol.diaz-oneil"], direction: "in" },
    ]);
    // alice: her own commits and rename, as "out"
    expect(await eventCount(alice, group.id, 4)).toEqual([
      { change: "added", actor: "alice", subjects: ["bob"], direction: "out" },
      { change: "added", actor: "alice", subjects: ["carol.diaz-oneil"], direction: "out" },
      { change: "renamed", actor: "alice", subjects: [], name: "Weekend trip", direction: "out" },
      { change: "removed", actor: "alice", subjects: ["carol.diaz-oneil"], direction: "out" },
    ]);
    // carol: added by alice, renamed, removed by alice — and her record says so (issue 2)
    await waitFor(async () => (await carol.conversations.get(group.id)).left === true, {
      message: "carol is out",
    });
    expect(await events(carol, group.id)).toEqual([
      { change: "joined", actor: "alice", subjects: ["carol.diaz-oneil"], direction: "in" },
      { change: "renamed", actor: "alice", subjects: [], name: "Weekend trip", direction: "in" },
      { change: "removed", actor: "alice", subjects: ["carol.diaz-oneil"], direction: "in" },
    ]);
    const carols = (await carol.conversations.get(group.id)) as Record2;
    expect(carols.membershipEnd).toMatchObject({
      reason: "removed",
      by: { handle: "alice", displayName: "Alice Martin" },
    });

    // issue 1: bob still knows carol's name after she is gone
    const bobs = (await bob.conversations.get(group.id)) as Record2;
    expect(bobs.members?.map((m) => m.handle)).toEqual(["alice"]);
    expect(bobs.formerMembers).toEqual([
      expect.objectContaining({ handle: "carol.diaz-oneil", displayName: "Carol Díaz-O'Neil" }),
    ]);

    // events are not messages: no unread count, no text; what `volly receive` takes includes them
    const summary = (await bob.conversations.summaries()).find((s) => s.conversation.id === group.id);
    expect(summary?.unread).toBe(1); // carol's message only
    expect(summary?.lastMessage?.body.type).toBe("membership");
    expect(await texts(bob, group.id)).toEqual(["count me in"]);
    const unseen = await bob.messaging.takeUnseen(group.id);
    expect(unseen.map((m) => (m.body as { type: string }).type)).toEqual([
      "membership",
      "membership",
      "text",
      "membership",
      "membership",
    ]);
    for (const c of [alice, bob, carol]) expect(await c.messaging.undecryptable()).toEqual({});
  });

  it("left: the leaver's own timeline says so; the others see that they left (not that someone removed them)", async () => {
    const alice = await person("alice", "Alice Martin");
    const bob = await person("bob", "Bob Stone");
    const dave = await person("dave", "Dave Kim");
    const group = await alice.conversations.createGroup("Book club", ["bob", "dave"]);
    await waitFor(async () => (await dave.conversations.list())[0]?.title === "Book club", {
      message: "dave joins",
    });
    await dave.conversations.leave(group.id);
    const daves = (await dave.conversations.get(group.id)) as Record2;
    expect(daves.membershipEnd).toMatchObject({ reason: "left" });
    expect(await events(dave, group.id)).toEqual([
      { change: "joined", actor: "alice", subjects: ["dave"], direction: "in" },
      { change: "left", actor: "dave", subjects: ["dave"], direction: "out" },
    ]);
    for (const c of [alice, bob]) {
      const seen = await eventCount(c, group.id, 2);
      expect(seen.at(-1)).toEqual({ change: "left", actor: "dave", subjects: ["dave"], direction: "in" });
    }
  });

  it("a member's new device (linking) is no membership event; a direct conversation has none", async () => {
    const alice = await person("alice", "Alice Martin");
    const bob = await person("bob", "Bob Stone");
    const group = await alice.conversations.createGroup("Team", ["bob"]);
    const direct = await alice.resolveConversation("@bob");
    await waitFor(async () => (await bob.conversations.list()).length === 2, { message: "bob joins both" });
    const link = await bob.devices.startLink();
    const [laptop] = await Promise.all([
      linkNodeProfile(
        join(bed.home, "bob-laptop"),
        { code: link.code, pin: "123456", deviceName: "laptop", kdf: TEST_KDF, pollIntervalMs: 50 },
        { initialBackoffMs: 50, maxBackoffMs: 300 },
      ),
      bob.devices.waitAndApprove(link.linkId, link.secret, 10_000),
    ]);
    bed.track(laptop);
    await laptop.connect();
    await waitFor(
      async () => (await laptop.conversations.get(group.id).catch(() => undefined))?.title === "Team",
      { message: "laptop in" },
    );
    await bob.messaging.send(group.id, "from bob's phone");
    await waitFor(async () => (await texts(alice, group.id)).includes("from bob's phone"), {
      message: "alice reads",
    });
    expect(await events(alice, group.id)).toEqual([
      { change: "added", actor: "alice", subjects: ["bob"], direction: "out" },
    ]);
    // the laptop was added by bob's own phone: no "added you" on it
    expect(await events(laptop, group.id)).toEqual([]);
    for (const c of [alice, bob]) expect(await events(c, direct.id)).toEqual([]);
  });
});
