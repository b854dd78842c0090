import { type MessageRecord, messageText, type VollyClient } from "@volly/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../helpers/wait-for.js";
import { clusterClient, rotated } from "./helpers/clients.js";
import { type Cluster, POSTGRES, REDIS_SERVER, startCluster } from "./helpers/cluster.js";
import { scratchDir } from "./helpers/node-process.js";

/**
 * Issue 12's scenario on two real `volly serve` processes sharing PostgreSQL and Redis, with the
 * owner on one node and a moderator on the other: a private channel opened and closed by a role the
 * moderator assigns, history shared with the newcomer, kick, ban and timeout, and the audit log read
 * through the other node.
 */
describe.skipIf(!POSTGRES.run || !REDIS_SERVER.run)(
  "communities on 2 `volly serve` processes over PostgreSQL + Redis, admins on different nodes",
  () => {
    let cluster: Cluster;
    const clients: VollyClient[] = [];
    beforeAll(async () => {
      cluster = await startCluster(2);
    }, 120_000);
    afterAll(async () => {
      for (const c of clients.splice(0)) await c.close().catch(() => undefined);
      await cluster?.close();
    });

    const texts = async (client: VollyClient, conversationId: string) =>
      (await client.messaging.history(conversationId)).flatMap((m: MessageRecord) => messageText(m) ?? []);
    const channelConversation = async (client: VollyClient, channelId: string) =>
      (await client.conversations.list()).find((c) => c.channelId === channelId);

    it("a role given on the other node opens a private channel with its history; taking it, kick, ban and timeout work across nodes", async () => {
      const urls = cluster.nodes.map((n) => n.url);
      const home = scratchDir("volly-communities-nodes-");
      const onNode = async (handle: string, node: number) => {
        const client = await clusterClient(home, handle, rotated(urls, node));
        clients.push(client);
        await client.connect();
        return client;
      };
      const owner = await onNode("owner", 0);
      const mod = await onNode("mod", 1);
      const ann = await onNode("ann", 0);
      const ben = await onNode("ben", 1);
      const cat = await onNode("cat", 1);

      const { communityId, channels } = await owner.communities.create("Guild");
      const general = channels.find((c) => c.type === "text")?.channelId as string;
      const mods = (await owner.communities.createChannel(communityId, { name: "mods", private: true }))
        .channelId;
      const moderator = await owner.communities.createRole(communityId, {
        name: "moderator",
        permissions: ["MANAGE_ROLES", "KICK_MEMBERS", "BAN_MEMBERS", "MODERATE_MEMBERS", "VIEW_AUDIT_LOG"],
      });
      const crew = await owner.communities.createRole(communityId, { name: "crew" });
      for (const role of [moderator, crew]) {
        await owner.communities.setOverwrite(
          mods,
          { roleId: role.roleId },
          ["VIEW_CHANNEL", "SEND_MESSAGES"],
          [],
        );
      }
      // the bare code: each node has its own origin here (behind one load balancer they would share one)
      const { code: link } = await owner.communities.createInvite(communityId);
      for (const member of [mod, ann, ben, cat]) await member.communities.join(link);
      await owner.communities.assignRole(communityId, "@mod", moderator.roleId);
      await waitFor(async () => (await channelConversation(mod, mods)) !== undefined, {
        message: "the moderator's device joined #mods",
      });

      // ann cannot see #mods; the moderator, on the other node, gives her the crew role
      await owner.sendText(mods, "said before ann");
      await expect(ann.communities.conversationOf(mods)).rejects.toMatchObject({
        code: "VOLLY_E_UNKNOWN_CHANNEL",
      });
      await mod.communities.assignRole(communityId, "@ann", crew.roleId);
      await waitFor(
        async () => (await channelConversation(ann, mods))?.historyStart?.sharedBy !== undefined,
        {
          timeoutMs: 30_000,
          message: "ann joined #mods and was given its history",
        },
      );
      const annMods = (await channelConversation(ann, mods))?.id as string;
      expect(await texts(ann, annMods)).toEqual(["said before ann"]);
      await mod.sendText(mods, "welcome ann");
      await waitFor(async () => (await texts(ann, annMods)).includes("welcome ann"), {
        message: "ann reads #mods live",
      });

      // taking the role away (on the other node) cuts her off
      await mod.communities.unassignRole(communityId, "@ann", crew.roleId);
      await waitFor(async () => (await ann.conversations.get(annMods)).left === true, {
        timeoutMs: 30_000,
        message: "ann's device left #mods",
      });
      await expect(ann.sendText(mods, "still here?")).rejects.toMatchObject({
        code: "VOLLY_E_NOT_GROUP_MEMBER",
      });

      // kick on one node, ban on the other; both in the audit log read through either node
      await mod.communities.kick(communityId, "@ben", "rude");
      await owner.communities.ban(communityId, "@cat", "spam");
      const log = await mod.communities.auditLog(communityId);
      expect(log.slice(0, 2).map((e) => [e.action, e.reason])).toEqual([
        ["member.ban", "spam"],
        ["member.kick", "rude"],
      ]);
      await expect(cat.communities.join(link)).rejects.toMatchObject({ code: "VOLLY_E_BANNED" });
      expect((await owner.communities.get(communityId)).members.map((m) => m.handle).sort()).toEqual([
        "ann",
        "mod",
        "owner",
      ]);

      // a timeout set on node 1 refuses ann's sends through node 0 until it ends
      await mod.communities.timeout(communityId, "@ann", 3_000, "cool down");
      await expect(ann.sendText(general, "let me talk")).rejects.toMatchObject({
        code: "VOLLY_E_FORBIDDEN",
        details: { permission: "SEND_MESSAGES" },
      });
      await waitFor(
        async () =>
          ann.sendText(general, "I'm back").then(
            () => true,
            () => false,
          ),
        { timeoutMs: 20_000, intervalMs: 500, message: "ann may send again" },
      );
      const ownerGeneral = (await channelConversation(owner, general))?.id as string;
      await waitFor(async () => (await texts(owner, ownerGeneral)).includes("I'm back"), {
        message: "the owner reads ann's message",
      });
    }, 180_000);
  },
);
