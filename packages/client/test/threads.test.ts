import { join } from "node:path";
import type { MessageRecord, VollyClient } from "@volly/client";
import { linkNodeProfile } from "@volly/client/node";
import { sendRawContent } from "@volly/client/testing";
import { newId } from "@volly/protocol";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../../test/helpers/wait-for.js";
import { TEST_KDF, useTestServer } from "./helpers.js";

/**
 * Threads in community channels (`client.threads`, src/threads/README.md): replies carry the root's
 * id encrypted in their content; per-thread unread separate from the channel's; edits, reactions
 * and deletes on thread replies; history hand-over and channel history bundles keep the thread.
 */
describe("threads in community channels (SDK)", () => {
  const bed = useTestServer();

  async function channelConv(client: VollyClient, channelId: string): Promise<string> {
    let id: string | undefined;
    await waitFor(
      async () => {
        id = (await client.conversations.list()).find((c) => c.channelId === channelId && !c.left)?.id;
        return id !== undefined;
      },
      { message: `the conversation of channel ${channelId}` },
    );
    return id as string;
  }

  async function messageOn(
    client: VollyClient,
    conv: string,
    id: string,
  ): Promise<MessageRecord | undefined> {
    return (await client.messaging.history(conv, 1_000)).find((m) => m.id === id);
  }

  /** alice's community with bob in #general; both hold the channel conversation. */
  async function guild() {
    const [alice, bob] = (await bed.clients("alice", "bob")) as [VollyClient, VollyClient];
    const { communityId, channels } = await alice.communities.create("Guild");
    const general = channels.find((c) => c.type === "text")?.channelId as string;
    await bob.communities.join((await alice.communities.createInvite(communityId)).link);
    const aliceConv = await channelConv(alice, general);
    const bobConv = await channelConv(bob, general);
    await waitFor(async () => (await alice.conversations.get(aliceConv)).members?.length === 1, {
      message: "alice's device processed bob's join",
    });
    return { alice, bob, communityId, general, aliceConv, bobConv };
  }

  it("replies in a thread: per-thread unread apart from the channel's, edit/react/delete on replies, deleted root, no nesting", async () => {
    const { alice, bob, aliceConv, bobConv } = await guild();
    const root = await alice.messaging.send(aliceConv, "plans for saturday?");
    await waitFor(async () => (await messageOn(bob, bobConv, root.id)) !== undefined, {
      message: "bob has the root",
    });
    await alice.messaging.markRead(aliceConv);

    const reply = await bob.messaging.send(bobConv, "hike!", { threadId: root.id });
    expect(reply.threadId).toBe(root.id);
    await waitFor(async () => (await messageOn(alice, aliceConv, reply.id))?.threadId === root.id, {
      message: "alice stores bob's reply in the thread",
    });

    // the thread counts its own unread; the channel's unread and preview ignore thread replies
    const [thread] = await alice.threads.list(aliceConv);
    expect(thread).toMatchObject({ rootId: root.id, replyCount: 1, unread: 1 });
    expect(thread?.root?.id).toBe(root.id);
    expect(thread?.lastReplyAt).toBe(reply.sentAt);
    const summary = (await alice.conversations.summaries()).find((s) => s.conversation.id === aliceConv);
    expect(summary?.unread).toBe(0);
    expect(summary?.lastMessage?.id).toBe(root.id);
    expect((await alice.threads.messages(aliceConv, root.id)).map((m) => m.id)).toEqual([reply.id]);
    await alice.threads.markRead(aliceConv, root.id);
    expect((await alice.threads.list(aliceConv))[0]?.unread).toBe(0);
    // bob's own reply is not unread for him
    expect((await bob.threads.list(bobConv))[0]).toMatchObject({ replyCount: 1, unread: 0 });

    // edits, reactions on a thread reply; it stays in its thread
    await bob.messaging.edit(bobConv, reply.id, "hike at 9!");
    await alice.messaging.react(aliceConv, reply.id, "👍");
    await waitFor(
      async () => {
        const m = await messageOn(bob, bobConv, reply.id);
        return m?.reactions?.[0]?.emoji === "👍" && m.threadId === root.id;
      },
      { message: "bob sees alice's reaction on his thread reply" },
    );
    await waitFor(
      async () => {
        const m = await messageOn(alice, aliceConv, reply.id);
        return m?.body.type === "text" && m.body.text === "hike at 9!" && m.threadId === root.id;
      },
      { message: "alice sees bob's edit of his thread reply" },
    );

    // no nesting: a reply's id as threadId sends into the root's thread
    const nested = await alice.messaging.send(aliceConv, "count me in", { threadId: reply.id });
    expect(nested.threadId).toBe(root.id);

    // a deleted root: its thread stays, replies still work
    await alice.messaging.delete(aliceConv, root.id, "everyone");
    await waitFor(async () => (await messageOn(bob, bobConv, root.id))?.body.type === "deleted", {
      message: "bob sees the root deleted",
    });
    const late = await bob.messaging.send(bobConv, "still on?", { threadId: root.id });
    await waitFor(async () => (await messageOn(alice, aliceConv, late.id))?.threadId === root.id, {
      message: "alice gets the reply to the deleted root",
    });
    const [after] = await alice.threads.list(aliceConv);
    expect(after).toMatchObject({ rootId: root.id, replyCount: 3, unread: 1 });
    expect(after?.root?.body.type).toBe("deleted");

    // a deleted thread reply stays in its thread as a tombstone
    await bob.messaging.delete(bobConv, late.id, "everyone");
    await waitFor(async () => (await messageOn(alice, aliceConv, late.id))?.body.type === "deleted", {
      message: "alice sees the thread reply deleted",
    });
    expect((await messageOn(alice, aliceConv, late.id))?.threadId).toBe(root.id);

    // unknown roots are refused
    await expect(bob.messaging.send(bobConv, "to nothing", { threadId: newId() })).rejects.toMatchObject({
      code: "VOLLY_E_UNKNOWN_MESSAGE",
    });
  });

  it("outside channels: sending in a thread is refused, a received threadId becomes a reply", async () => {
    const [alice, bob] = (await bed.clients("alice", "bob")) as [VollyClient, VollyClient];
    const dm = await alice.resolveConversation("@bob");
    const hello = await alice.messaging.send(dm.id, "hello");
    await expect(alice.messaging.send(dm.id, "in a thread", { threadId: hello.id })).rejects.toMatchObject({
      code: "VOLLY_E_USAGE",
    });
    expect(await alice.threads.list(dm.id)).toEqual([]);

    // another client's doing: the message arrives with threadId in a direct conversation
    const id = newId();
    await sendRawContent(alice, dm.id, {
      v: 1,
      type: "text",
      id,
      text: "threaded anyway",
      sentAt: Date.now(),
      threadId: hello.id,
    });
    let got: MessageRecord | undefined;
    await waitFor(
      async () => {
        got = await messageOn(bob, dm.id, id);
        return got !== undefined;
      },
      { message: "bob receives the message" },
    );
    expect(got?.threadId).toBeUndefined();
    expect(got?.replyTo).toBe(hello.id);
  });

  it("thread replies keep their thread in a channel's history bundle and in the hand-over to a linked device", async () => {
    const { alice, bob, communityId, general, aliceConv, bobConv } = await guild();
    const root = await alice.messaging.send(aliceConv, "release notes");
    await waitFor(async () => (await messageOn(bob, bobConv, root.id)) !== undefined, {
      message: "bob has the root",
    });
    const reply = await bob.messaging.send(bobConv, "typo in line 3", { threadId: root.id });
    await waitFor(async () => (await messageOn(alice, aliceConv, reply.id)) !== undefined, {
      message: "alice has the reply",
    });

    // carol joins later: the history bundle carries the thread
    const [carol] = (await bed.clients("carol")) as [VollyClient];
    await carol.communities.join((await alice.communities.createInvite(communityId)).link);
    const carolConv = await channelConv(carol, general);
    await waitFor(async () => (await messageOn(carol, carolConv, reply.id)) !== undefined, {
      message: "carol was given the channel's history",
    });
    expect((await messageOn(carol, carolConv, reply.id))?.threadId).toBe(root.id);
    expect((await carol.threads.list(carolConv))[0]).toMatchObject({
      rootId: root.id,
      replyCount: 1,
      unread: 0,
    });

    // bob links a laptop: the hand-over carries the thread
    const link = await bob.devices.startLink();
    const [laptop] = await Promise.all([
      linkNodeProfile(
        join(bed.home, "bob-laptop"),
        { code: link.code, pin: "123456", deviceName: "bob-laptop", kdf: TEST_KDF, pollIntervalMs: 50 },
        { initialBackoffMs: 50, maxBackoffMs: 300 },
      ),
      bob.devices.waitAndApprove(link.linkId, link.secret, 10_000),
    ]);
    bed.track(laptop);
    await laptop.connect();
    await waitFor(async () => (await messageOn(laptop, bobConv, reply.id)) !== undefined, {
      message: "bob's laptop was handed the history",
    });
    expect((await messageOn(laptop, bobConv, reply.id))?.threadId).toBe(root.id);
    expect((await laptop.threads.messages(bobConv, root.id)).map((m) => m.id)).toEqual([reply.id]);
  });
});
