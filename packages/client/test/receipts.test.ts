import { type MessageRecord, messageText, type VollyClient } from "@volly/client";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../../test/helpers/wait-for.js";
import { inbox, texts, useTestServer } from "./helpers.js";

describe("delivery and read receipts (ReceiptContent inside MLS)", () => {
  const bed = useTestServer();
  async function status(c: VollyClient, conversationId: string, id: string) {
    return (await c.messaging.history(conversationId)).find((m) => m.id === id)?.status;
  }

  it("a direct message goes sent → delivered → read, with updates, and receipts are never messages", async () => {
    const [alice, bob] = await bed.clients("alice", "bob");
    const conv = await alice!.resolveConversation("@bob");
    const updates: MessageRecord[] = [];
    alice!.messaging.updates.add((m) => updates.push(m));
    const bobInbox = inbox(bob!);
    const sent = await alice!.messaging.send(conv.id, "did you get this?");
    expect(sent.status).toBe("sent");
    await waitFor(async () => (await status(alice!, conv.id, sent.id)) === "delivered", {
      message: "delivered",
    });
    expect(bobInbox).toHaveLength(1);
    await bob!.messaging.markRead(conv.id);
    await waitFor(async () => (await status(alice!, conv.id, sent.id)) === "read", { message: "read" });
    expect(updates.filter((m) => m.id === sent.id).map((m) => m.status)).toEqual([
      "sent",
      "delivered",
      "read",
    ]);
    const record = (await alice!.messaging.history(conv.id)).find((m) => m.id === sent.id);
    expect(record).toMatchObject({ deliveredTo: [bob!.profile.accountId], readBy: [bob!.profile.accountId] });
    // Receipts are not messages, not unseen, and not answered with receipts.
    expect(await texts(alice!, conv.id)).toEqual(["did you get this?"]);
    expect(await texts(bob!, conv.id)).toEqual(["did you get this?"]);
    expect(await alice!.messaging.takeUnseen()).toEqual([]);
    expect((await alice!.conversations.summaries())[0]?.unread).toBe(0);
    expect((await bob!.conversations.summaries())[0]?.unread).toBe(0);
    for (const c of [alice!, bob!]) expect(await c.messaging.undecryptable()).toEqual({});
  });

  it("with read receipts off a message stays delivered; unread counts and the summary order follow", async () => {
    const [alice, bob] = await bed.clients("alice", "bob");
    await bob!.settings.update({ readReceipts: false });
    const conv = await alice!.resolveConversation("@bob");
    const first = await alice!.messaging.send(conv.id, "one");
    await alice!.messaging.send(conv.id, "two");
    await waitFor(async () => (await texts(bob!, conv.id)).length === 2, { message: "bob receives" });
    await waitFor(async () => (await status(alice!, conv.id, first.id)) === "delivered", {
      message: "delivered",
    });
    const before = await bob!.conversations.summaries();
    expect(before).toHaveLength(1);
    expect(before[0]).toMatchObject({ unread: 2, lastMessage: { body: { type: "text", text: "two" } } });
    await bob!.messaging.markRead(conv.id);
    expect((await bob!.conversations.summaries())[0]?.unread).toBe(0);
    expect((await bob!.conversations.get(conv.id)).lastReadAt).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 800));
    expect(await status(alice!, conv.id, first.id)).toBe("delivered");

    // A newer conversation with activity sorts first.
    const group = await alice!.conversations.createGroup("Later", ["bob"]);
    await alice!.messaging.send(group.id, "newest");
    await waitFor(async () => (await bob!.conversations.summaries())[0]?.unread === 1, {
      message: "newest message",
    });
    const after = await bob!.conversations.summaries();
    expect(
      after.map((s) => [s.conversation.id, s.unread, s.lastMessage && messageText(s.lastMessage)]),
    ).toEqual([
      [group.id, 1, "newest"],
      [conv.id, 0, "two"],
    ]);
  });

  it("in a group a message is delivered / read only once every other member account reported it", async () => {
    const [alice, bob, carol] = await bed.clients("alice", "bob", "carol");
    const group = await alice!.conversations.createGroup("Trio", ["bob", "carol"]);
    await waitFor(async () => (await carol!.conversations.list())[0]?.title === "Trio", {
      message: "carol joins",
    });
    const sent = await alice!.messaging.send(group.id, "hello trio");
    await waitFor(async () => (await status(alice!, group.id, sent.id)) === "delivered", {
      message: "delivered to both",
    });
    const delivered = (await alice!.messaging.history(group.id)).find((m) => m.id === sent.id);
    expect(new Set(delivered?.deliveredTo)).toEqual(
      new Set([bob!.profile.accountId, carol!.profile.accountId]),
    );
    await bob!.messaging.markRead(group.id);
    await waitFor(
      async () =>
        (await alice!.messaging.history(group.id)).find((m) => m.id === sent.id)?.readBy?.length === 1,
      { message: "bob's read receipt" },
    );
    expect(await status(alice!, group.id, sent.id)).toBe("delivered");
    await carol!.messaging.markRead(group.id);
    await waitFor(async () => (await status(alice!, group.id, sent.id)) === "read", {
      message: "read by all",
    });
  });
});
