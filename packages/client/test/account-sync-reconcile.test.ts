import type { VollyClient } from "@volly/client";
import { dropConnection, recordHistoryReads } from "@volly/client/testing";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../../test/helpers/wait-for.js";
import { inbox, reopenClient, useTestServer } from "./helpers.js";

/** Drops the gateway connection and waits for the SYNCED after the reconnect and its reconcile. */
async function resync(client: VollyClient): Promise<void> {
  const synced = client.sync.nextSynced(10_000);
  dropConnection(client);
  await synced;
  await client.accountSync.idle();
}

describe("account sync's reconcile after each SYNCED", () => {
  const bed = useTestServer();

  it("notes a conversation's read mark once per read, not again at every reconnect or restart", async () => {
    const [alice, bob] = await bed.clients("alice", "bob");
    const direct = await bob!.resolveConversation("@alice");
    const aliceInbox = inbox(alice!);
    await bob!.messaging.send(direct.id, "one");
    await bob!.messaging.send(direct.id, "two");
    await waitFor(() => aliceInbox.length === 2, { message: "bob's messages at alice" });
    await alice!.messaging.markRead(direct.id);
    const newest = Math.max(...(await alice!.messaging.history(direct.id)).map((m) => m.seq ?? 0));

    // The first reconcile after the read scans that conversation once and notes its mark…
    const first = recordHistoryReads(alice!);
    await resync(alice!);
    first.stop();
    expect(first.conversationIds).toEqual([direct.id]);
    const mark = await alice!.accountSync.readSeq(direct.id);
    expect(mark).toBeGreaterThanOrEqual(newest);

    // …the next ones, and the one after a restart, scan nothing.
    const again = recordHistoryReads(alice!);
    await resync(alice!);
    again.stop();
    expect(again.conversationIds).toEqual([]);
    await alice!.close();
    bed.untrack(alice!);
    const reopened = bed.track(await reopenClient(bed.home, "alice"));
    const afterRestart = recordHistoryReads(reopened);
    await reopened.connect();
    await reopened.accountSync.idle();
    afterRestart.stop();
    expect(afterRestart.conversationIds).toEqual([]);
    expect(await reopened.accountSync.readSeq(direct.id)).toBe(mark);

    // A new read is scanned again at the next reconcile, and its mark moves forward.
    const reopenedInbox = inbox(reopened);
    await bob!.messaging.send(direct.id, "three");
    await waitFor(() => reopenedInbox.length === 1, { message: "bob's third message" });
    await reopened.messaging.markRead(direct.id);
    const later = recordHistoryReads(reopened);
    await resync(reopened);
    later.stop();
    expect(later.conversationIds).toEqual([direct.id]);
    expect(await reopened.accountSync.readSeq(direct.id)).toBeGreaterThan(mark);
  });
});
