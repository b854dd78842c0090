import { messageText, type VollyClient } from "@volly/client";
import { groupState, restApi, sendRawContent } from "@volly/client/testing";
import { groupEpoch, groupMembers } from "@volly/crypto";
import { newId } from "@volly/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { collect, newClient } from "./helpers/sdk.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

/**
 * The SDK's reconciliation of channel conversations (`communities/channel-conversations.ts`) against
 * a real server process: one group per channel even when devices race to create it, joins by
 * external commit with nobody's help, and a channel that becomes hidden is left on the device
 * while the remaining members commit its Remove.
 */
describe("communities in the SDK: channel conversations", () => {
  let server: ServerProcess;
  let owner: VollyClient;
  let ann: VollyClient;
  let ben: VollyClient;
  const home = tempDir("volly-sdk-communities-");

  beforeAll(async () => {
    server = await startServerProcess();
    const [o, a, b] = await Promise.all(["owner", "ann", "ben"].map((h) => newClient(home, server.url, h)));
    if (!o || !a || !b) throw new Error("three clients");
    [owner, ann, ben] = [o, a, b];
    await Promise.all([owner, ann, ben].map((c) => c.connect()));
  });
  afterAll(async () => {
    await Promise.all([owner, ann, ben].map((c) => c?.close()));
    await server?.stop();
  });

  /** A community owned by `owner` that ann and ben joined; its #general. */
  async function community() {
    const created = await owner.communities.create("Guild");
    const invite = await owner.communities.createInvite(created.communityId);
    await ann.communities.join(invite.link);
    await ben.communities.join(invite.webUrl);
    return created;
  }
  const channelConversation = async (client: VollyClient, channelId: string) =>
    (await client.conversations.list()).find((c) => c.channelId === channelId);

  it("a channel's group is created once when two devices race, the other joins it by external commit, and both read each other", async () => {
    const { communityId } = await community();
    // created behind the SDK's back, so no device has made its group yet
    const channel = await restApi(owner).call("createChannel", {
      params: { communityId },
      body: { name: "race" },
    });
    expect(channel.groupId).toBeUndefined();
    await Promise.all([ann.communities.reconcile(communityId), ben.communities.reconcile(communityId)]);
    const annConv = await channelConversation(ann, channel.channelId);
    const benConv = await channelConversation(ben, channel.channelId);
    expect(annConv).toMatchObject({ kind: "channel", title: "#race", communityId });
    expect(annConv?.left).toBeFalsy();
    expect(benConv?.id).toBe(annConv?.id);
    const view = await owner.communities.get(communityId);
    expect(view.channels.find((c) => c.channelId === channel.channelId)?.groupId).toBe(annConv?.id);

    // the owner joins by external commit on its own (COMMUNITY_UPDATE or its next reconcile)
    await owner.communities.reconcile(communityId);
    const id = annConv?.id as string;
    const members = async (c: VollyClient) =>
      groupMembers(await groupState(c, id))
        .map((m) => m.credential.accountId)
        .sort();
    await waitFor(async () => (await members(ann)).length === 3, { message: "ann sees 3 leaves" });
    const benGot = collect(ben);
    await owner.sendText(channel.channelId, "hello race");
    await waitFor(() => benGot.some((m) => m.channelId === channel.channelId), { message: "ben receives" });
    expect(benGot.find((m) => m.channelId === channel.channelId)).toMatchObject({
      from: "owner",
      communityId,
      conversationId: id,
    });

    // a member's group-meta cannot rename a channel (its name is the community's record)
    await sendRawContent(ann, id, {
      v: 1,
      type: "group-meta",
      id: newId(),
      name: "pwned",
      sentAt: Date.now(),
    });
    await owner.sendText(channel.channelId, "after the rename attempt");
    await waitFor(() => benGot.some((m) => messageText(m) === "after the rename attempt"), {
      message: "ben receives the next message",
    });
    expect(await ben.conversations.get(id)).toMatchObject({ kind: "channel", title: "#race" });
  }, 60_000);

  it("a channel that becomes hidden is left on the device, and a remaining member commits its Remove", async () => {
    const { communityId, channels } = await community();
    const general = channels[0]?.channelId as string;
    const id = await ann.communities.conversationOf(general);
    await ben.communities.conversationOf(general);
    await waitFor(async () => groupMembers(await groupState(owner, id)).length === 3, {
      message: "3 devices in #general",
    });
    const changed = new Promise<void>((resolve) => {
      const off = ben.communities.changes.add((c) => {
        if (c.communityId === communityId) {
          off();
          resolve();
        }
      });
    });
    // a member overwrite denying ben VIEW_CHANNEL: his device learns it by COMMUNITY_UPDATE
    await owner.communities.setOverwrite(general, { member: "@ben" }, [], ["VIEW_CHANNEL"]);
    await changed;
    await waitFor(async () => Boolean((await channelConversation(ben, general))?.left), {
      message: "ben's #general left",
    });
    await waitFor(
      async () =>
        !groupMembers(await groupState(owner, id)).some(
          (m) => m.credential.accountId === ben.profile.accountId,
        ),
      { message: "ben's leaf removed" },
    );
    // ann, still in, reads the owner; ben gets nothing more
    const annGot = collect(ann);
    const benGot = collect(ben);
    await owner.sendText(general, "after ben");
    await waitFor(() => annGot.some((m) => m.channelId === general), {
      message: "ann receives",
    });
    expect(benGot).toEqual([]);

    // allowed again: ben's device joins again by external commit, history kept
    await owner.communities.deleteOverwrite(general, { member: "@ben" });
    await waitFor(async () => (await channelConversation(ben, general))?.left === undefined, {
      message: "ben back in #general",
    });
    // (a message the owner encrypts before it processed ben's join is of an epoch ben never had)
    await waitFor(
      async () =>
        groupMembers(await groupState(owner, id)).some(
          (m) => m.credential.accountId === ben.profile.accountId,
        ),
      { message: "the owner processed ben's join" },
    );
    await owner.sendText(general, "welcome back");
    await waitFor(() => benGot.some((m) => m.channelId === general), { message: "ben receives again" });
  }, 60_000);

  it("access given back before the old leaf was removed: the device rejoins in place of it at once, with nobody else online", async () => {
    const { channels } = await community();
    const general = channels[0]?.channelId as string;
    const id = await ben.communities.conversationOf(general);
    await ann.communities.conversationOf(general);
    await waitFor(async () => groupMembers(await groupState(owner, id)).length === 3, {
      message: "3 devices in #general",
    });
    // nobody online to commit ben's Remove: the owner's and ann's gateways are down
    await owner.connection.stop();
    await ann.connection.stop();
    await owner.communities.setOverwrite(general, { member: "@ben" }, [], ["VIEW_CHANNEL"]);
    await waitFor(async () => Boolean((await channelConversation(ben, general))?.left), {
      message: "ben's #general left",
    });
    // access back: ben's device replaces its old leaf, declaring itself added, and is a member again
    await owner.communities.deleteOverwrite(general, { member: "@ben" });
    await waitFor(async () => (await channelConversation(ben, general))?.left === undefined, {
      message: "ben back in #general",
    });
    owner.connection.start();
    ann.connection.start();
    const rejoined = groupEpoch(await groupState(ben, id));
    await waitFor(async () => groupEpoch(await groupState(owner, id)) >= rejoined, {
      message: "the owner's device processed ben's rejoin",
    });
    // his old leaf was replaced, not kept beside the new one
    expect(groupMembers(await groupState(owner, id))).toHaveLength(3);
    await owner.sendText(general, "welcome back");
    await waitFor(
      async () =>
        (await ben.messaging.history(id)).some(
          (m) => m.body.type === "text" && m.body.text === "welcome back",
        ),
      { message: "ben receives what is sent after his rejoin" },
    );
  }, 60_000);
});
