import type { VollyClient } from "@volly/client";
import { historyStartText, messageText } from "@volly/client";
import { historySharingIdle, sendRawContent } from "@volly/client/testing";
import { newId } from "@volly/protocol";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../../test/helpers/wait-for.js";
import { texts, useTestServer } from "./helpers.js";

/**
 * History for newcomers in community channels (DESIGN.md "History for newcomers"): a member device
 * hands what the channel's policy allows to devices that join, labelled with who shared it, and
 * the newcomer's conversation says where its history starts.
 */
describe("channel history for newcomers (SDK)", () => {
  const bed = useTestServer();
  const conversationOf = async (client: VollyClient, channelId: string) =>
    (await client.conversations.list()).find((c) => c.channelId === channelId && !c.left);

  it("a joining member is given the last N days, shared by a member device; from-join and none give nothing and say so", async () => {
    const [alice, bob] = (await bed.clients("alice", "bob")) as [VollyClient, VollyClient];
    const { communityId, channels } = await alice.communities.create("Guild");
    const general = channels.find((c) => c.type === "text")?.channelId as string;
    expect(channels.find((c) => c.channelId === general)?.historyPolicy).toEqual({ kind: "days", days: 30 });
    const quiet = await alice.communities.createChannel(communityId, {
      name: "quiet",
      historyPolicy: { kind: "from-join" },
    });
    const secret = await alice.communities.createChannel(communityId, {
      name: "secret",
      historyPolicy: { kind: "none" },
    });
    await alice.sendText(general, "first");
    await alice.sendText(general, "second");
    await alice.sendText(quiet.channelId, "quiet before bob");
    await alice.sendText(secret.channelId, "secret before bob");

    await bob.communities.join((await alice.communities.createInvite(communityId)).link);
    const bobGeneral = await conversationOf(bob, general);
    expect(bobGeneral?.historyStart).toMatchObject({ policy: { kind: "days", days: 30 } });
    await waitFor(
      async () =>
        (await bob.conversations.get(bobGeneral?.id as string)).historyStart?.sharedBy !== undefined,
      {
        message: "alice's device shared #general's history with bob",
      },
    );
    expect(await texts(bob, bobGeneral?.id as string)).toEqual(["first", "second"]);
    const shared = await bob.messaging.history(bobGeneral?.id as string);
    expect(shared.map((m) => [m.from, m.direction, m.sharedBy, m.channelId])).toEqual([
      ["alice", "in", "alice", general],
      ["alice", "in", "alice", general],
    ]);
    // shared history is not news: it does not count as unread
    const summary = (await bob.conversations.summaries()).find((x) => x.conversation.id === bobGeneral?.id);
    expect(summary?.unread).toBe(0);
    const start = (await bob.conversations.get(bobGeneral?.id as string)).historyStart;
    expect(start).toMatchObject({ sharedBy: "alice", messages: 2 });
    expect(historyStartText(start as NonNullable<typeof start>)).toMatch(
      /^History from \d{4}-\d{2}-\d{2}, shared by @alice\.$/,
    );

    // alice's device processed every join and decided: nothing for #quiet and #secret
    for (const channelId of [quiet.channelId, secret.channelId]) {
      const id = (await conversationOf(alice, channelId))?.id as string;
      await waitFor(async () => (await alice.conversations.get(id)).members?.length === 1, {
        message: `alice's device processed bob's join of ${channelId}`,
      });
    }
    await historySharingIdle(alice);
    await alice.sendText(quiet.channelId, "quiet after bob");
    await alice.sendText(secret.channelId, "secret after bob");
    const bobQuiet = (await conversationOf(bob, quiet.channelId))?.id as string;
    const bobSecret = (await conversationOf(bob, secret.channelId))?.id as string;
    await waitFor(
      async () => (await texts(bob, bobSecret)).length > 0 && (await texts(bob, bobQuiet)).length > 0,
      {
        message: "bob received what alice sent after he joined",
      },
    );
    expect(await texts(bob, bobQuiet)).toEqual(["quiet after bob"]);
    expect(await texts(bob, bobSecret)).toEqual(["secret after bob"]);
    const quietStart = (await bob.conversations.get(bobQuiet)).historyStart;
    const secretStart = (await bob.conversations.get(bobSecret)).historyStart;
    expect(quietStart?.sharedBy).toBeUndefined();
    expect(historyStartText(quietStart as NonNullable<typeof quietStart>)).toMatch(
      /^History starts when you joined \(\d{4}-\d{2}-\d{2}\)\.$/,
    );
    expect(historyStartText(secretStart as NonNullable<typeof secretStart>)).toMatch(
      /this channel does not share earlier messages\.$/,
    );
  }, 60_000);

  it("without READ_MESSAGE_HISTORY a newcomer is given nothing; a bundle outside the policy's window or for other devices is not stored", async () => {
    const [alice, bob, carol] = (await bed.clients("alice", "bob", "carol")) as [
      VollyClient,
      VollyClient,
      VollyClient,
    ];
    const { communityId, channels } = await alice.communities.create("Guild");
    const general = channels.find((c) => c.type === "text")?.channelId as string;
    await alice.sendText(general, "before anyone");
    // newcomers may view #general but not read its history
    await alice.communities.setOverwrite(general, { roleId: communityId }, [], ["READ_MESSAGE_HISTORY"]);
    const invite = (await alice.communities.createInvite(communityId)).link;
    await bob.communities.join(invite);
    const aliceGeneral = (await conversationOf(alice, general))?.id as string;
    await waitFor(async () => (await alice.conversations.get(aliceGeneral)).members?.length === 1, {
      message: "alice's device processed bob's join",
    });
    await historySharingIdle(alice);
    const bobGeneral = (await conversationOf(bob, general))?.id as string;

    // a forged bundle: one message far older than 30 days, one addressed to bob, one for others only
    const forged = (to: string[], text: string, sentAt: number) => ({
      v: 1,
      type: "channel-history",
      id: newId(),
      to,
      transfer: newId(),
      index: 0,
      total: 1,
      since: 0,
      messages: [{ id: newId(), from: "alice", fromDeviceId: alice.profile.deviceId, text, sentAt }],
      sentAt: Date.now(),
    });
    await sendRawContent(
      alice,
      aliceGeneral,
      forged([bob.profile.deviceId], "ancient", Date.UTC(2001, 0, 1)),
    );
    await sendRawContent(alice, aliceGeneral, forged([newId()], "not for bob", Date.now() - 1000));
    await sendRawContent(
      alice,
      aliceGeneral,
      forged([bob.profile.deviceId], "recent, for bob", Date.now() - 1000),
    );
    await waitFor(async () => (await texts(bob, bobGeneral)).length > 0, {
      message: "bob stored the last bundle",
    });
    expect(await texts(bob, bobGeneral)).toEqual(["recent, for bob"]);
    expect((await bob.messaging.history(bobGeneral))[0]?.sharedBy).toBe("alice");

    // with the permission back, carol is given the real history (none of the forged messages
    // addressed to bob: alice's device shares what it holds)
    await alice.communities.deleteOverwrite(general, { roleId: communityId });
    await carol.communities.join(invite);
    const carolGeneral = (await conversationOf(carol, general))?.id as string;
    await waitFor(
      async () => (await carol.conversations.get(carolGeneral)).historyStart?.sharedBy !== undefined,
      {
        message: "alice's device shared with carol",
      },
    );
    expect(await texts(carol, carolGeneral)).toEqual(["before anyone"]);
    expect((await bob.messaging.history(bobGeneral)).map((m) => messageText(m))).not.toContain(
      "before anyone",
    );
  }, 60_000);

  it("when the first sharer's device is offline, the next member device shares after its turn", async () => {
    const [alice, bob, carol] = (await bed.clients("alice", "bob", "carol")) as [
      VollyClient,
      VollyClient,
      VollyClient,
    ];
    const { communityId, channels } = await alice.communities.create("Guild");
    const general = channels.find((c) => c.type === "text")?.channelId as string;
    const invite = (await alice.communities.createInvite(communityId)).link;
    await bob.communities.join(invite);
    const bobGeneral = (await conversationOf(bob, general))?.id as string;
    await alice.sendText(general, "while bob is here");
    await waitFor(async () => (await texts(bob, bobGeneral)).includes("while bob is here"), {
      message: "bob received alice's message",
    });
    // alice's device (leaf 0, the first sharer) goes offline: bob's device shares after its turn
    await alice.close();
    bed.untrack(alice);
    await carol.communities.join(invite);
    const carolGeneral = (await conversationOf(carol, general))?.id as string;
    await waitFor(
      async () => (await carol.conversations.get(carolGeneral)).historyStart?.sharedBy === "bob",
      {
        timeoutMs: 20_000,
        message: "bob's device shared #general's history with carol",
      },
    );
    expect(await texts(carol, carolGeneral)).toEqual(["while bob is here"]);
  }, 60_000);
});
