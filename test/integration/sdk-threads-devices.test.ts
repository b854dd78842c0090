import type { MessageRecord, VollyClient } from "@volly/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { linkDevice as linkSdkDevice, newClient } from "./helpers/sdk.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

/** What a user sees of a thread: the root's text, then each reply's sender, text and side. */
async function threadView(client: VollyClient, conv: string, rootId: string) {
  const root = (await client.messaging.history(conv, 1_000)).find((m) => m.id === rootId);
  const replies = await client.threads.messages(conv, rootId);
  const text = (m: MessageRecord | undefined) => (m?.body.type === "text" ? m.body.text : undefined);
  return { root: text(root), replies: replies.map((m) => [m.from, text(m)]) };
}

/**
 * Threads in a community channel against a real `volly serve` process, every person on two
 * devices: replies from three of the four devices arrive on all four with the same thread view
 * (root, replies in order); unread counts per thread on the recipient's devices (replies from the
 * person's own other device are theirs, not unread); marking a thread read is per device.
 */
describe("threads with two people × two devices, on a server process", () => {
  let server: ServerProcess;
  const home = tempDir("volly-sdk-threads-devices-");
  const open: VollyClient[] = [];

  /** Links a second device to `owner`'s account (its conversations are handed over), connected. */
  async function linkDevice(owner: VollyClient, name: string): Promise<VollyClient> {
    const device = await linkSdkDevice(owner, home, name);
    open.push(device);
    return device;
  }

  /** The id of the channel's conversation on `client`, once it is in the channel's group. */
  async function channelConv(client: VollyClient, channelId: string): Promise<string> {
    let id: string | undefined;
    await waitFor(
      async () => {
        id = (await client.conversations.list()).find((c) => c.channelId === channelId && !c.left)?.id;
        return id !== undefined;
      },
      { timeoutMs: 60_000, message: `the conversation of channel ${channelId}` },
    );
    return id as string;
  }

  beforeAll(async () => {
    server = await startServerProcess();
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.close().catch(() => undefined)));
    await server?.stop();
  });

  it("replies arrive on all four devices in order; unread per thread per device; one's own other device's reply is one's own", async () => {
    const alice = await newClient(home, server.url, "alice");
    const bob = await newClient(home, server.url, "bob");
    open.push(alice, bob);
    await Promise.all([alice.connect(), bob.connect()]);
    const { communityId, channels } = await alice.communities.create("Guild");
    const general = channels.find((c) => c.type === "text")?.channelId as string;
    await bob.communities.join((await alice.communities.createInvite(communityId)).link);
    const aliceLaptop = await linkDevice(alice, "alice-laptop");
    const bobLaptop = await linkDevice(bob, "bob-laptop");
    const devices = [
      { name: "alice", client: alice, handle: "alice" },
      { name: "alice-laptop", client: aliceLaptop, handle: "alice" },
      { name: "bob", client: bob, handle: "bob" },
      { name: "bob-laptop", client: bobLaptop, handle: "bob" },
    ];
    const convs = new Map<VollyClient, string>();
    for (const d of devices) convs.set(d.client, await channelConv(d.client, general));
    const conv = (c: VollyClient) => convs.get(c) as string;
    const has = async (c: VollyClient, id: string) =>
      (await c.messaging.history(conv(c), 1_000)).some((m) => m.id === id);

    // Every device says hello until all four hold all four: then each is in the channel's group.
    const hellos = new Map<VollyClient, string>();
    await waitFor(
      async () => {
        for (const d of devices) {
          const mine = hellos.get(d.client);
          if (mine && (await Promise.all(devices.map((o) => has(o.client, mine)))).every(Boolean)) continue;
          hellos.set(d.client, (await d.client.messaging.send(conv(d.client), `hello from ${d.name}`)).id);
        }
        const ids = [...hellos.values()];
        const seen = await Promise.all(devices.map((d) => Promise.all(ids.map((id) => has(d.client, id)))));
        return ids.length === 4 && seen.flat().every(Boolean);
      },
      { timeoutMs: 90_000, intervalMs: 500, message: "every device reads every other in #general" },
    );
    for (const d of devices) await d.client.messaging.markRead(conv(d.client));

    const root = await alice.messaging.send(conv(alice), "release on friday?");
    const replies: Array<{ from: VollyClient; text: string }> = [
      { from: bob, text: "fine by me" },
      { from: aliceLaptop, text: "then friday it is" },
      { from: bobLaptop, text: "I'll write the notes" },
    ];
    const waitEverywhere = async (id: string) => {
      for (const d of devices) {
        await waitFor(() => has(d.client, id), { timeoutMs: 60_000, message: `${d.name} has ${id}` });
      }
    };
    await waitEverywhere(root.id);
    // One after the other, each on every device before the next: their order is well defined.
    for (const r of replies) {
      await waitEverywhere((await r.from.messaging.send(conv(r.from), r.text, { threadId: root.id })).id);
    }

    const expected = {
      root: "release on friday?",
      replies: [
        ["bob", "fine by me"],
        ["alice", "then friday it is"],
        ["bob", "I'll write the notes"],
      ],
    };
    for (const d of devices) {
      expect(await threadView(d.client, conv(d.client), root.id), d.name).toEqual(expected);
      const [thread] = await d.client.threads.list(conv(d.client));
      // Unread: the replies of the other person only (one's own other device's reply is one's own).
      expect(thread, d.name).toMatchObject({
        rootId: root.id,
        replyCount: 3,
        unread: d.handle === "alice" ? 2 : 1,
      });
      const stored = await d.client.threads.messages(conv(d.client), root.id);
      expect(
        stored.map((m) => m.direction),
        d.name,
      ).toEqual(d.handle === "alice" ? ["in", "out", "in"] : ["out", "in", "out"]);
      // Thread replies never count in the channel's unread.
      const summary = (await d.client.conversations.summaries()).find(
        (s) => s.conversation.id === conv(d.client),
      );
      // (the root is alice's: unread for bob's devices only)
      expect(summary?.unread ?? 0, d.name).toBe(d.handle === "alice" ? 0 : 1);
    }

    // Marking the thread read on bob's phone leaves his laptop's count alone (kept per device).
    await bob.threads.markRead(conv(bob), root.id);
    expect((await bob.threads.list(conv(bob)))[0]?.unread).toBe(0);
    expect((await bobLaptop.threads.list(conv(bobLaptop)))[0]?.unread).toBe(1);
  }, 300_000);
});
