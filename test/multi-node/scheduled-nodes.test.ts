import type { VollyClient } from "@volly/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryOnce } from "../../packages/server/test/helpers/postgres.js";
import { waitFor } from "../helpers/wait-for.js";
import { clusterClient, rotated } from "./helpers/clients.js";
import { type Cluster, POSTGRES, REDIS_SERVER, startCluster } from "./helpers/cluster.js";
import { scratchDir } from "./helpers/node-process.js";

/**
 * Scheduled messages on two real `volly serve` processes sharing PostgreSQL and Redis, both running
 * the release job every 100 ms: messages scheduled through node 1, all due at the same instant,
 * go out once each — one log entry, one delivery to the recipient on node 2 — and the table of
 * held messages is empty afterwards.
 */
describe.skipIf(!POSTGRES.run || !REDIS_SERVER.run)(
  "scheduled release on 2 `volly serve` processes over PostgreSQL + Redis",
  () => {
    let cluster: Cluster;
    const clients: VollyClient[] = [];
    beforeAll(async () => {
      cluster = await startCluster(2, { VOLLY_SCHEDULED_POLL_MS: "100" });
    }, 120_000);
    afterAll(async () => {
      for (const c of clients.splice(0)) await c.close().catch(() => undefined);
      await cluster?.close();
    });

    it("messages scheduled through node 1 are released once each while both nodes run the job", async () => {
      const urls = cluster.nodes.map((n) => n.url);
      const home = scratchDir("volly-scheduled-nodes-");
      const alice = await clusterClient(home, "alice", rotated(urls, 0));
      const bob = await clusterClient(home, "bob", rotated(urls, 1));
      clients.push(alice, bob);
      await Promise.all([alice.connect(), bob.connect()]);
      const conv = await alice.resolveConversation("@bob");
      await alice.sendText("@bob", "hello");
      const deliveries = new Map<string, number>();
      bob.messaging.received.add((m) => deliveries.set(m.id, (deliveries.get(m.id) ?? 0) + 1));
      await waitFor(async () => (await bob.conversations.list()).some((c) => c.id === conv.id), {
        message: "bob has the conversation",
      });

      // Ten messages due at the same instant: both nodes' jobs find them due in the same runs.
      const at = Date.now() + 5_000;
      const ids: string[] = [];
      for (let i = 0; i < 10; i++) {
        ids.push((await alice.scheduled.schedule(conv.id, `at once ${i}`, { at })).id);
      }
      await waitFor(() => ids.every((id) => deliveries.has(id)), {
        timeoutMs: 60_000,
        message: "bob received the ten scheduled messages",
      });
      // A marker sent after them: anything released twice would have reached bob before it.
      const marker = await alice.sendText("@bob", "marker");
      await waitFor(() => deliveries.has(marker.id), { message: "bob received the marker" });

      expect(ids.map((id) => deliveries.get(id))).toEqual(ids.map(() => 1));
      const logged = await queryOnce<{ message_id: string }>(
        cluster.database.url,
        "SELECT message_id FROM group_log WHERE group_id = $1 AND message_id = ANY($2)",
        [conv.id, ids],
      );
      expect(logged.map((r) => r.message_id).sort()).toEqual([...ids].sort());
      const held = await queryOnce(cluster.database.url, "SELECT message_id FROM scheduled_messages");
      expect(held).toEqual([]);
      expect(await alice.scheduled.list()).toEqual([]);
    }, 120_000);
  },
);
