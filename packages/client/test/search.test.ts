import type { SearchHit, VollyClient } from "@volly/client";
import { messageText } from "@volly/client";
import { VollyError } from "@volly/protocol";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../../test/helpers/wait-for.js";
import { reopenClient, useTestServer } from "./helpers.js";

/** The texts of hits, as a user reads a result list. */
function textsOf(hits: SearchHit[]): string[] {
  return hits.map((h) => messageText(h.message) ?? "?");
}

/** Waits until `client` has stored every message id (they were sent by someone else). */
async function stored(client: VollyClient, conversationId: string, ids: string[]) {
  await waitFor(
    async () => {
      const have = new Set((await client.messaging.history(conversationId, 500)).map((m) => m.id));
      return ids.every((id) => have.has(id));
    },
    { message: `${client.profile.handle} stores ${ids.length} messages` },
  );
}

describe("search (SDK): local full-text search over decrypted messages", () => {
  const bed = useTestServer();

  it("finds messages on both sides with each filter, follows edits and deletes, and survives a restart", async () => {
    const [alice, bob, carol] = (await bed.clients("alice", "bob", "carol")) as [
      VollyClient,
      VollyClient,
      VollyClient,
    ];
    const dm = await alice.resolveConversation("@bob");
    const group = await alice.conversations.createGroup("Trip", ["bob", "carol"]);
    await waitFor(async () => (await carol.conversations.list()).some((c) => c.id === group.id), {
      message: "carol is in the group",
    });

    const before = Date.now();
    const m1 = await alice.messaging.send(dm.id, "Lunch at the Café Rouge tomorrow?");
    const m2 = await bob.messaging.send(dm.id, "Sure, lunch works. Menu: https://rouge.example/menu");
    const m3 = await carol.messaging.send(group.id, "Lunch plans for the trip, anyone?");
    const m4 = await alice.messaging.send(group.id, "The train leaves at nine");
    await stored(bob, dm.id, [m1.id]);
    await stored(bob, group.id, [m3.id, m4.id]);
    await stored(alice, dm.id, [m2.id]);
    await stored(alice, group.id, [m3.id]);

    // Everything on both sides, newest first, case- and accent-insensitive, prefixes match.
    for (const client of [alice, bob]) {
      expect(textsOf(await client.search.messages("LUNCH"))).toEqual([m3, m2, m1].map((m) => messageText(m)));
      expect((await client.search.messages("cafe")).map((h) => h.message.id)).toEqual([m1.id]);
      expect((await client.search.messages("tra")).map((h) => h.message.id)).toEqual([m4.id]);
      // A word of 1–2 characters, or one before the last, matches whole words only.
      expect(await client.search.messages("tr")).toEqual([]);
      expect(await client.search.messages("tra lunch")).toEqual([]);
    }
    // Every word must match; highlights point at the matched words.
    const [both] = await bob.search.messages("lunch cafe");
    expect(both?.message.id).toBe(m1.id);
    const text = messageText(m1) ?? "";
    expect(both?.highlights.map((h) => text.slice(h.start, h.end))).toEqual(["Lunch", "Café"]);
    expect(both?.score).toBeGreaterThan(0);

    // Filters: conversation, sender, link, file, time range, limit, relevance order.
    expect((await bob.search.messages("lunch", { conversationId: dm.id })).map((h) => h.message.id)).toEqual([
      m2.id,
      m1.id,
    ]);
    expect((await bob.search.messages("lunch", { from: "@carol" })).map((h) => h.message.id)).toEqual([
      m3.id,
    ]);
    expect((await alice.search.messages("lunch", { from: "bob" })).map((h) => h.message.id)).toEqual([m2.id]);
    expect((await alice.search.messages("lunch", { hasLink: true })).map((h) => h.message.id)).toEqual([
      m2.id,
    ]);
    expect((await alice.search.messages("lunch", { hasLink: false })).map((h) => h.message.id)).toEqual([
      m3.id,
      m1.id,
    ]);
    expect(await alice.search.messages("lunch", { hasFile: true })).toEqual([]);
    expect(await alice.search.messages("lunch", { before })).toEqual([]);
    expect((await alice.search.messages("lunch", { after: m3.sentAt })).map((h) => h.message.id)).toEqual([
      m3.id,
    ]);
    expect(await alice.search.messages("lunch", { limit: 1 })).toHaveLength(1);
    expect(await alice.search.messages("lunch", { sort: "relevance" })).toHaveLength(3);
    // The same filters typed as operators in the query; an option wins over its operator.
    const ids = (hits: SearchHit[]) => hits.map((h) => h.message.id);
    expect(ids(await bob.search.messages(`lunch in:@${alice.profile.handle}`))).toEqual([m2.id, m1.id]);
    expect(ids(await bob.search.messages(`in:${group.id} lunch`))).toEqual([m3.id]);
    expect(ids(await alice.search.messages("has:link LUNCH"))).toEqual([m2.id]);
    expect(ids(await alice.search.messages(`from:@${bob.profile.handle} lunch`))).toEqual([m2.id]);
    expect(await alice.search.messages("has:file lunch")).toEqual([]);
    expect(ids(await alice.search.messages(`lunch after:${new Date(m3.sentAt).toISOString()}`))).toEqual([
      m3.id,
    ]);
    expect(ids(await alice.search.messages(`lunch before:${new Date(m2.sentAt).toISOString()}`))).toEqual([
      m1.id,
    ]);
    expect(ids(await alice.search.messages("lunch from:@carol", { from: bob.profile.handle }))).toEqual([
      m2.id,
    ]);
    // Operators only: every message they accept, newest first.
    expect(ids(await bob.search.messages(`in:${group.id}`))).toEqual([m4.id, m3.id]);
    expect(ids(await alice.search.messages("has:link"))).toEqual([m2.id]);
    // Membership events are not indexed (carol's "added" line names her).
    expect(await carol.search.messages("carol")).toEqual([]);

    // An edit is re-indexed on both sides.
    await alice.messaging.edit(dm.id, m1.id, "Dinner at the Café Rouge tomorrow?");
    for (const client of [alice, bob]) {
      await waitFor(async () => (await client.search.messages("dinner")).length === 1, {
        message: `${client.profile.handle} finds the edited text`,
      });
      expect(
        (await client.search.messages("lunch", { conversationId: dm.id })).map((h) => h.message.id),
      ).toEqual([m2.id]);
    }

    // Deleted for everyone: the tombstone is not found, on either side.
    await bob.messaging.delete(dm.id, m2.id, "everyone");
    for (const client of [alice, bob]) {
      await waitFor(async () => (await client.search.messages("menu")).length === 0, {
        message: `${client.profile.handle} no longer finds the deleted message`,
      });
    }
    // Deleted for me: gone here, still found by the others.
    await bob.messaging.delete(group.id, m4.id, "me");
    expect(await bob.search.messages("train")).toEqual([]);
    expect((await alice.search.messages("train")).map((h) => h.message.id)).toEqual([m4.id]);

    // Restart: the index comes back (saved sealed at close) and follows what arrives meanwhile.
    bed.untrack(bob);
    await bob.close();
    const m5 = await carol.messaging.send(group.id, "Dinner is at eight");
    const bobAgain = bed.track(await reopenClient(bed.home, "bob"));
    expect((await bobAgain.search.messages("dinner")).map((h) => h.message.id)).toEqual([m1.id]);
    expect(await bobAgain.search.messages("train")).toEqual([]);
    await bobAgain.connect();
    await stored(bobAgain, group.id, [m5.id]);
    expect((await bobAgain.search.messages("dinner")).map((h) => h.message.id)).toEqual([m5.id, m1.id]);

    // Restart again without searching in between: the snapshot's journal brings what arrived meanwhile.
    bed.untrack(bobAgain);
    await bobAgain.close();
    const bobThird = bed.track(await reopenClient(bed.home, "bob"));
    await bobThird.connect();
    const m6 = await carol.messaging.send(group.id, "Bring dinner snacks");
    await stored(bobThird, group.id, [m6.id]);
    bed.untrack(bobThird);
    await bobThird.close();
    const bobFourth = bed.track(await reopenClient(bed.home, "bob"));
    expect((await bobFourth.search.messages("dinner")).map((h) => h.message.id)).toEqual([
      m6.id,
      m5.id,
      m1.id,
    ]);
  });

  it("refuses a bad query or option with VOLLY_E_USAGE", async () => {
    const [alice] = (await bed.clients("alice")) as [VollyClient];
    const usage = async (p: Promise<unknown>) => {
      const err = await p.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VollyError);
      expect((err as VollyError).code).toBe("VOLLY_E_USAGE");
    };
    await usage(alice.search.messages(""));
    await usage(alice.search.messages("  !? "));
    await usage(alice.search.messages("x".repeat(501)));
    await usage(alice.search.messages("hi", { limit: 0 }));
    await usage(alice.search.messages("hi", { limit: 1.5 }));
    await usage(alice.search.messages("hi", { from: "not a handle" }));
    await usage(alice.search.messages("hi", { after: Number.NaN }));
    await usage(alice.search.messages("hi has:photo"));
    await usage(alice.search.messages("hi before:yesterday"));
    await usage(alice.search.messages("hi after:2026-02-30"));
    const unknown = await alice.search.messages("hi in:@nobody").catch((e: unknown) => e);
    expect((unknown as VollyError).code).toBe("VOLLY_E_UNKNOWN_CONVERSATION");
    expect(await alice.search.messages("hi")).toEqual([]);
  });
});
