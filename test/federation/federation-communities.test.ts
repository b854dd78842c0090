import { type MessageRecord, messageText, type VollyClient } from "@volly/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../packages/server/test/helpers/postgres.js";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { clientOn, type FederatedServer, startFederatedServer } from "./helpers/federated-servers.js";

/** The texts of `client`'s messages in a conversation, oldest first. */
const texts = async (client: VollyClient, conversationId: string) =>
  (await client.messaging.history(conversationId, 1000)).flatMap((m: MessageRecord) => messageText(m) ?? []);

/** `client`'s conversation of a channel, when its device is in the channel's group. */
const channelConversation = async (client: VollyClient, channelId: string) =>
  (await client.conversations.list()).find((c) => c.channelId === channelId && !c.left);

/**
 * A community on one server with members from two others (issue 18): alice's community lives on
 * 127.0.0.2; bob (127.0.0.3, PostgreSQL) and carol (127.0.0.4) join it by its invite link through
 * their own servers, talk in its channels (MLS groups hosted on 127.0.0.2), follow its changes, act
 * in it as far as their roles allow, and lose it when kicked — every permission checked by the
 * community's server.
 */
describe("a community on one server with members from two others", () => {
  let a: FederatedServer;
  let b: FederatedServer;
  let c: FederatedServer;
  let database: TestDatabase;
  let alice: VollyClient;
  let bob: VollyClient;
  let carol: VollyClient;
  const home = tempDir("volly-fed-communities-");

  beforeAll(async () => {
    database = await createTestDatabase();
    [a, b, c] = await Promise.all([
      startFederatedServer("127.0.0.2"),
      startFederatedServer("127.0.0.3", { VOLLY_DATABASE_URL: database.url }),
      startFederatedServer("127.0.0.4"),
    ]);
    [alice, bob, carol] = await Promise.all([
      clientOn(home, a, "alice"),
      clientOn(home, b, "bob"),
      clientOn(home, c, "carol"),
    ]);
    await Promise.all([alice.connect(), bob.connect(), carol.connect()]);
  }, 120_000);

  afterAll(async () => {
    for (const client of [alice, bob, carol]) await client?.close().catch(() => undefined);
    for (const server of [a, b, c]) await server?.process.stop();
    await database?.drop();
  });

  it("members of two other servers join by the link, talk in its channels, follow its changes and are removed by a kick", async () => {
    const { communityId, channels } = await alice.communities.create("Across servers");
    const general = channels.find((ch) => ch.type === "text")?.channelId as string;
    const { link } = await alice.communities.createInvite(communityId);
    expect(link).toContain(a.name);

    // bob and carol join through their own servers
    expect((await bob.communities.previewInvite(link)).name).toBe("Across servers");
    for (const member of [bob, carol]) {
      const joined = await member.communities.join(link);
      expect(joined).toMatchObject({ communityId, server: a.name });
    }
    expect(await bob.communities.list()).toEqual([
      expect.objectContaining({ communityId, name: "Across servers", server: a.name }),
    ]);
    expect((await alice.communities.get(communityId)).members.map((m) => m.handle).sort()).toEqual([
      "alice",
      `bob@${b.name}`,
      `carol@${c.name}`,
    ]);
    expect((await carol.communities.get(communityId)).members.map((m) => m.handle).sort()).toEqual([
      `alice@${a.name}`,
      `bob@${b.name}`,
      "carol",
    ]);

    // #general is one MLS group, hosted on alice's server: everyone reads everyone
    for (const member of [bob, carol]) {
      await waitFor(async () => (await channelConversation(member, general)) !== undefined, {
        message: "the member's device joined #general",
      });
    }
    await alice.sendText(general, "hello from a");
    await bob.sendText(general, "hello from b");
    await carol.sendText(general, "hello from c");
    for (const member of [alice, bob, carol]) {
      const conv = (await channelConversation(member, general))?.id as string;
      await waitFor(async () => (await texts(member, conv)).length === 3, {
        message: "every member reads the three messages",
      });
      expect((await texts(member, conv)).sort()).toEqual(["hello from a", "hello from b", "hello from c"]);
    }

    // a role given to bob (named by his handle on his server) lets him add a channel; carol has none
    const builder = await alice.communities.createRole(communityId, {
      name: "builder",
      permissions: ["MANAGE_CHANNELS"],
    });
    await alice.communities.assignRole(communityId, `@bob@${b.name}`, builder.roleId);
    await expect(carol.communities.createChannel(communityId, { name: "nope" })).rejects.toMatchObject({
      code: "VOLLY_E_FORBIDDEN",
    });
    const plans = (await bob.communities.createChannel(communityId, { name: "plans" })).channelId;
    // its group was created by bob's device on the community's server; alice and carol are told
    for (const member of [alice, carol]) {
      await waitFor(async () => (await channelConversation(member, plans)) !== undefined, {
        message: "the new channel reached the member (COMMUNITY_UPDATE across servers)",
      });
    }
    await carol.sendText(plans, "carol's plan");
    for (const member of [alice, bob]) {
      await waitFor(
        async () => {
          const conv = await channelConversation(member, plans);
          return conv !== undefined && (await texts(member, conv.id)).includes("carol's plan");
        },
        { message: "carol's message in #plans reached the member" },
      );
    }

    // a kick on the community's server ends carol's channels on hers
    const carolGeneral = (await channelConversation(carol, general))?.id as string;
    await alice.communities.kick(communityId, `@carol@${c.name}`, "done here");
    await waitFor(async () => (await carol.conversations.get(carolGeneral)).left === true, {
      message: "carol's device left #general",
    });
    await expect(carol.communities.get(communityId)).rejects.toMatchObject({
      code: "VOLLY_E_UNKNOWN_COMMUNITY",
    });
    expect(await carol.communities.list()).toEqual([]);
    await expect(carol.sendText(general, "still here?")).rejects.toMatchObject({
      code: expect.stringMatching(/VOLLY_E_(NOT_GROUP_MEMBER|UNKNOWN_CHANNEL)/),
    });
    // each server names the members as it names those accounts
    expect((await bob.communities.get(communityId)).members.map((m) => m.handle).sort()).toEqual([
      `alice@${a.name}`,
      "bob",
    ]);
  }, 180_000);
});
