import { join } from "node:path";
import { messageText, type VollyClient } from "@volly/client";
import { linkNodeProfile } from "@volly/client/node";
import { restApi } from "@volly/client/testing";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../../test/helpers/wait-for.js";
import { inbox, TEST_KDF, useTestServer } from "./helpers.js";

describe("communities (SDK): two devices of one account", () => {
  const bed = useTestServer();

  /** Links a laptop to `owner`'s account; returns it (not connected). */
  async function linkLaptop(owner: VollyClient) {
    const link = await owner.devices.startLink();
    const [laptop, linked] = await Promise.all([
      linkNodeProfile(
        join(bed.home, "laptop"),
        { code: link.code, pin: "123456", deviceName: "laptop", kdf: TEST_KDF, pollIntervalMs: 50 },
        { initialBackoffMs: 50, maxBackoffMs: 300 },
      ),
      owner.devices.waitAndApprove(link.linkId, link.secret, 10_000),
    ]);
    bed.track(laptop);
    return { laptop, linked };
  }
  const channelConversation = async (client: VollyClient, channelId: string) =>
    (await client.conversations.list()).find((c) => c.channelId === channelId);

  it("both devices race to create a channel's group: one group, both in it, a linked device joins channels itself", async () => {
    const [alice, bob] = (await bed.clients("alice", "bob")) as [VollyClient, VollyClient];
    const { communityId, channels } = await alice.communities.create("Guild");
    const general = channels[0]?.channelId as string;
    const generalId = (await channelConversation(alice, general))?.id;
    expect(generalId).toBeDefined();

    // the laptop is not added to #general by the approving device: it joins by itself on connect
    const { laptop, linked } = await linkLaptop(alice);
    expect(linked.added).not.toContain(generalId);
    await laptop.connect();
    expect(await channelConversation(laptop, general)).toMatchObject({ id: generalId, kind: "channel" });

    // a channel without a group yet (made behind the SDK's back): both devices create it at once
    const race = await restApi(alice).call("createChannel", {
      params: { communityId },
      body: { name: "race" },
    });
    await Promise.all([alice.communities.reconcile(communityId), laptop.communities.reconcile(communityId)]);
    const onAlice = await channelConversation(alice, race.channelId);
    const onLaptop = await channelConversation(laptop, race.channelId);
    expect(onAlice?.id).toBeDefined();
    expect(onLaptop?.id).toBe(onAlice?.id);
    expect(
      (await alice.communities.get(communityId)).channels.find((c) => c.channelId === race.channelId)
        ?.groupId,
    ).toBe(onAlice?.id);

    // bob joins by invite and reads what either device sends
    await bob.communities.join((await alice.communities.createInvite(communityId)).link);
    const got = inbox(bob);
    await waitFor(async () => (await alice.conversations.get(onAlice?.id as string)).members?.length === 1, {
      message: "alice's device processed bob's join",
    });
    await waitFor(async () => (await laptop.conversations.get(onAlice?.id as string)).members?.length === 1, {
      message: "the laptop processed bob's join",
    });
    await laptop.sendText(race.channelId, "from the laptop");
    await waitFor(() => got.some((m) => messageText(m) === "from the laptop"), { message: "bob reads it" });
    expect(got.find((m) => messageText(m) === "from the laptop")).toMatchObject({
      communityId,
      channelId: race.channelId,
    });
  }, 60_000);
});
