import type { MessageRecord, VollyClient } from "@volly/client";
import { sendRawContent } from "@volly/client/testing";
import { newId } from "@volly/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { linkDevice as linkSdkDevice, newClient, reopenClient } from "./helpers/sdk.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

/** What a user sees of one message: its text or tombstone, reactions, edits and pin. */
function viewOf(m: MessageRecord | undefined) {
  if (!m) return undefined;
  return {
    body: m.body.type === "text" ? m.body.text : m.body.type === "deleted" ? "(deleted)" : "?",
    reactions: (m.reactions ?? []).map((r) => [r.emoji, r.by.map((a) => a.handle)]),
    edits: (m.edits ?? []).map((e) => e.text),
    pinned: m.pinnedAt !== undefined,
  };
}

async function viewOn(client: VollyClient, conversationId: string, id: string) {
  return viewOf((await client.messaging.history(conversationId, 1_000)).find((m) => m.id === id));
}

/**
 * Message actions against a real `volly serve` process: two people with two devices each, actions
 * that reach the devices before the message they target, and a device that is away through all
 * of it and converges to the same view once it is back.
 */
describe("message actions out of order and mentions, on a server process, two people × two devices", () => {
  let server: ServerProcess;
  const home = tempDir("volly-sdk-actions-");
  const open: VollyClient[] = [];

  /** Links a second device to `owner`'s account (its conversations are handed over), connected. */
  async function linkDevice(owner: VollyClient, name: string): Promise<VollyClient> {
    const device = await linkSdkDevice(owner, home, name);
    open.push(device);
    return device;
  }

  beforeAll(async () => {
    server = await startServerProcess();
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.close().catch(() => undefined)));
    await server?.stop();
  });

  it("reactions, edits, deletes and pins sent before their message wait for it; a device away through it all converges; a mention counts on both of its person's devices", async () => {
    const alice = await newClient(home, server.url, "alice");
    const bob = await newClient(home, server.url, "bob");
    open.push(alice, bob);
    await Promise.all([alice.connect(), bob.connect()]);
    const convId = (await alice.resolveConversation("@bob")).id;
    const aliceLaptop = await linkDevice(alice, "alice-laptop");
    const bobLaptop = await linkDevice(bob, "bob-laptop");
    for (const c of [alice, aliceLaptop, bob, bobLaptop]) {
      await waitFor(async () => (await c.conversations.list()).some((x) => x.id === convId), {
        timeoutMs: 60_000,
        message: "every device has the conversation",
      });
    }
    // bob's laptop is away for everything that follows
    await bobLaptop.close();
    open.splice(open.indexOf(bobLaptop), 1);

    // actions first, their messages after them in the log
    const early = newId();
    const gone = newId();
    const now = Date.now();
    const raw = [
      { v: 1, type: "reaction", id: newId(), targetId: early, emoji: "🔥", sentAt: now },
      { v: 1, type: "edit", id: newId(), targetId: early, text: "edited early", sentAt: now + 1 },
      { v: 1, type: "delete", id: newId(), targetId: gone, sentAt: now + 2 },
      { v: 1, type: "pin", id: newId(), targetId: early, pinned: true, sentAt: now + 3 },
      { v: 1, type: "text", id: early, text: "first draft", sentAt: now + 4 },
      { v: 1, type: "text", id: gone, text: "never seen", sentAt: now + 5 },
    ] as const;
    for (const content of raw) await sendRawContent(alice, convId, content);
    // and ordinary actions from both people's other devices, in order
    const later = await aliceLaptop.messaging.send(convId, "later");
    await waitFor(async () => (await viewOn(bob, convId, later.id)) !== undefined, {
      timeoutMs: 60_000,
      message: "bob has 'later'",
    });
    await bob.messaging.react(convId, later.id, "✅");
    await aliceLaptop.messaging.edit(convId, later.id, "later, edited");

    const expected: Record<string, ReturnType<typeof viewOf>> = {
      [early]: {
        body: "edited early",
        reactions: [["🔥", ["alice"]]],
        edits: ["edited early"],
        pinned: true,
      },
      [gone]: { body: "(deleted)", reactions: [], edits: [], pinned: false },
      [later.id]: {
        body: "later, edited",
        reactions: [["✅", ["bob"]]],
        edits: ["later, edited"],
        pinned: false,
      },
    };
    const converge = async (devices: VollyClient[], what: string) => {
      for (const [i, device] of devices.entries()) {
        for (const [id, view] of Object.entries(expected)) {
          await waitFor(
            async () => JSON.stringify(await viewOn(device, convId, id)) === JSON.stringify(view),
            {
              timeoutMs: 60_000,
              message: `${what}: device ${i} shows ${id} as expected`,
            },
          );
        }
      }
    };
    // (alice's phone sent the raw contents itself: it keeps no copy of them, as with any raw send)
    await converge([aliceLaptop, bob], "online devices");

    // the laptop comes back after all of it and catches up to the same view
    const back = await reopenClient(home, "bob-laptop");
    open.push(back);
    await back.connect();
    await converge([back], "the device that was away");
    for (const id of Object.keys(expected)) {
      expect(await viewOn(back, convId, id)).toEqual(await viewOn(bob, convId, id));
    }
    expect((await back.messaging.pinned(convId)).map((m) => m.id)).toEqual([early]);

    // a mention of bob from alice's laptop: both of bob's devices count it apart from the unread
    const ping = await aliceLaptop.messaging.send(convId, "@bob look at the pin");
    for (const device of [bob, back]) {
      await waitFor(
        async () =>
          (await device.messaging.history(convId, 1_000)).find((m) => m.id === ping.id)?.mentionsMe === true,
        { timeoutMs: 60_000, message: "bob's devices see the mention of him" },
      );
      const summary = (await device.conversations.summaries()).find((x) => x.conversation.id === convId);
      expect(summary?.unreadMentions).toBe(1);
    }
    // alice's devices count no mention: it names bob, not her
    expect(
      (await alice.conversations.summaries()).find((x) => x.conversation.id === convId)?.unreadMentions ?? 0,
    ).toBe(0);
  }, 300_000);
});
