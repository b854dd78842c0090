import { messageText, type VollyClient } from "@volly/client";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../../test/helpers/wait-for.js";
import { reopenClient, useTestServer } from "./helpers.js";

/** What bob's conversation list shows for its one conversation: unread count and preview. */
async function entry(client: VollyClient): Promise<[number, string | undefined]> {
  const [summary] = await client.conversations.summaries();
  return [summary?.unread ?? -1, summary?.lastMessage && messageText(summary.lastMessage)];
}

describe("the conversation list's cached summaries", () => {
  const bed = useTestServer();

  it("survive a restart and follow every later write: a new message, an edit, a delete for me, a read", async () => {
    const [alice, bob] = await bed.clients("alice", "bob");
    const conv = await alice!.resolveConversation("@bob");
    await alice!.messaging.send(conv.id, "one");
    const two = await alice!.messaging.send(conv.id, "two");
    await waitFor(async () => (await entry(bob!))[0] === 2, { message: "two unread" });
    expect(await entry(bob!)).toEqual([2, "two"]);

    // Reopened, the list comes from the stored summaries: the same entry.
    await bob!.close();
    bed.untrack(bob!);
    const again = bed.track(await reopenClient(bed.home, "bob"));
    expect(await entry(again)).toEqual([2, "two"]);
    await again.connect();

    await alice!.messaging.send(conv.id, "three");
    await waitFor(async () => (await entry(again))[1] === "three", { message: "a new message" });
    expect(await entry(again)).toEqual([3, "three"]);

    const three = (await again.messaging.history(conv.id)).find((m) => messageText(m) === "three")!;
    await again.messaging.delete(conv.id, three.id, "me");
    expect(await entry(again)).toEqual([2, "two"]);

    await alice!.messaging.edit(conv.id, two.id, "two, edited");
    await waitFor(async () => (await entry(again))[1] === "two, edited", { message: "the edit" });

    await again.messaging.markRead(conv.id);
    expect(await entry(again)).toEqual([0, "two, edited"]);
  });
});
