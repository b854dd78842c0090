import { GatewayOp } from "@volly/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sleep } from "../../../test/helpers/wait-for.js";
import { type HttpDevice, registerOverHttp } from "./helpers/app.js";
import { type ClusterNode, createGroupVia, metricValue, sendVia, startNode } from "./helpers/cluster.js";
import { connectIdentified, type Frame, type GatewayClient } from "./helpers/gateway-client.js";
import { createTestDatabase, POSTGRES, type TestDatabase } from "./helpers/postgres.js";
import { type PrivateRedis, REDIS_SERVER, startPrivateRedis } from "./helpers/redis-server.js";

/** Short presence timing so a vanished node is noticed quickly, with room for a slow CI machine. */
const PRESENCE = { refreshIntervalMs: 150, ttlMs: 1_500 };

describe.skipIf(!POSTGRES.run || !REDIS_SERVER.run)(
  "several nodes over one PostgreSQL and one Redis (scaled shape)",
  () => {
    let database: TestDatabase;
    let redis: PrivateRedis;
    let one: ClusterNode;
    let two: ClusterNode;
    const clients: GatewayClient[] = [];
    const extraNodes: ClusterNode[] = [];

    beforeAll(async () => {
      POSTGRES.assert();
      REDIS_SERVER.assert();
      database = await createTestDatabase();
      redis = await startPrivateRedis();
      const options = { databaseUrl: database.url, redisUrl: redis.url, presence: PRESENCE };
      [one, two] = await Promise.all([startNode(options), startNode(options)]);
    });
    afterAll(async () => {
      for (const c of clients) await c.close().catch(() => {});
      for (const n of [one, two, ...extraNodes]) await n?.close().catch(() => {});
      await redis?.stop();
      await database?.drop();
    });

    const connect = async (node: ClusterNode, device: HttpDevice) => {
      const { client } = await connectIdentified(node.gatewayUrl, device);
      clients.push(client);
      return client;
    };
    const synced = async (node: ClusterNode, device: HttpDevice) => {
      const client = await connect(node, device);
      await client.untilSynced();
      return client;
    };
    const presenceOf = (device: HttpDevice) => (f: Frame) =>
      f.t === "PRESENCE_UPDATE" && (f.d as { accountId: string }).accountId === device.accountId;
    const messages = (client: GatewayClient, groupId: string) =>
      client.received
        .filter((f) => f.t === "GROUP_MESSAGE" && (f.d as { groupId: string }).groupId === groupId)
        .map((f) => f.d as { seq: number; payload: string });

    it("delivers what is sent to any node to a device connected to another one, once and in order", async () => {
      const alice = await registerOverHttp(one.app);
      const bob = await registerOverHttp(two.app);
      const groupId = await createGroupVia(one, alice, [bob]);
      const bobClient = await synced(two, bob);
      const sent: string[] = [];
      for (let i = 0; i < 20; i++) sent.push((await sendVia(i % 2 ? one : two, alice, groupId)).ciphertext);
      const end = Date.now() + 10_000;
      while (messages(bobClient, groupId).length < 20 && Date.now() < end) await sleep(20);
      const got = messages(bobClient, groupId);
      expect(got.map((m) => m.payload)).toEqual(sent);
      expect(got.map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
      expect(await metricValue(one, 'volly_messages_in_total{kind="application"}')).toBeGreaterThanOrEqual(
        10,
      );
      expect(
        await metricValue(two, 'volly_messages_out_total{event="GROUP_MESSAGE"}'),
      ).toBeGreaterThanOrEqual(20);
      expect(await metricValue(two, "volly_delivery_latency_seconds_count")).toBeGreaterThanOrEqual(20);
      for (const node of [one, two]) expect(node.logs()).not.toContain(sent[0]);
    });

    it("commits concurrent sends of two nodes to the same groups, crossing senders, each once and without gaps", async () => {
      // Each node batches the sends arriving together into one transaction (group commit); the
      // batches of the two nodes lock the same group and account rows in opposite orders here, which
      // would deadlock without the batch lock.
      const alice = await registerOverHttp(one.app);
      const bob = await registerOverHttp(two.app);
      const groups = [await createGroupVia(one, alice, [bob]), await createGroupVia(two, bob, [alice])];
      const groupOf = (i: number) => groups[((i >> 2) + (i >> 5)) % 2]!;
      const sends = Array.from({ length: 240 }, (_, i) =>
        sendVia(i % 2 ? one : two, i % 4 < 2 ? alice : bob, groupOf(i)),
      );
      const results = await Promise.all(sends);
      for (const groupId of groups) {
        const seqs = results.filter((_, i) => groupOf(i) === groupId).map((r) => r.seq);
        expect(seqs.sort((a, b) => a - b)).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 2));
      }
    });

    it("shows presence and typing to contacts connected to other nodes", async () => {
      const alice = await registerOverHttp(one.app);
      const bob = await registerOverHttp(two.app);
      const groupId = await createGroupVia(two, alice, [bob]);
      const bobClient = await synced(two, bob);
      const aliceClient = await connect(one, alice);
      expect((await bobClient.next(presenceOf(alice))).d).toMatchObject({ status: "online" });
      expect((await aliceClient.next(presenceOf(bob))).d).toMatchObject({ status: "online" });
      aliceClient.send({ op: GatewayOp.PRESENCE_UPDATE, d: { status: "away" } });
      expect((await bobClient.next(presenceOf(alice))).d).toMatchObject({ status: "idle" });
      aliceClient.send({ op: GatewayOp.TYPING, d: { groupId } });
      const typing = await bobClient.nextDispatch("TYPING_START");
      expect(typing.d).toMatchObject({ groupId, accountId: alice.accountId, deviceId: alice.deviceId });
      await aliceClient.close();
      expect((await bobClient.next(presenceOf(alice))).d).toMatchObject({ status: "offline" });
    });

    it("carries an account's chosen status to every node, also to a node started after it was set", async () => {
      const alice = await registerOverHttp(one.app);
      const bob = await registerOverHttp(two.app);
      await createGroupVia(one, alice, [bob]);
      const bobClient = await synced(two, bob);
      await connect(one, alice);
      expect((await bobClient.next(presenceOf(alice))).d).toMatchObject({ status: "online" });
      const until = Date.now() + 3_600_000;
      const put = await one.app.inject({
        method: "PUT",
        url: "/v1/presence/status",
        headers: alice.auth,
        payload: { status: "dnd", text: "deep work", until },
      });
      expect(put.statusCode).toBe(200);
      expect((await bobClient.next(presenceOf(alice))).d).toEqual({
        accountId: alice.accountId,
        handle: alice.handle,
        status: "dnd",
        text: "deep work",
        until,
      });
      // A node that starts now learns alice's status from node one's republished view.
      const three = await startNode({ databaseUrl: database.url, redisUrl: redis.url, presence: PRESENCE });
      extraNodes.push(three);
      const late = await connect(three, bob);
      expect((await late.next(presenceOf(alice), 8_000)).d).toMatchObject({
        status: "dnd",
        text: "deep work",
      });
      // Invisible set on node two: peers everywhere see offline.
      const invisible = await two.app.inject({
        method: "PUT",
        url: "/v1/presence/status",
        headers: alice.auth,
        payload: { status: "invisible" },
      });
      expect(invisible.statusCode).toBe(200);
      expect((await bobClient.next(presenceOf(alice))).d).toMatchObject({ status: "offline" });
      expect((await late.next(presenceOf(alice))).d).toMatchObject({ status: "offline" });
    });

    it("lets the accounts of a node that vanished without a goodbye go offline after the presence TTL", async () => {
      const three = await startNode({ databaseUrl: database.url, redisUrl: redis.url, presence: PRESENCE });
      extraNodes.push(three);
      const carol = await registerOverHttp(three.app);
      const bob = await registerOverHttp(two.app);
      await createGroupVia(three, carol, [bob]);
      const bobClient = await synced(two, bob);
      await connect(three, carol);
      expect((await bobClient.next(presenceOf(carol))).d).toMatchObject({ status: "online" });
      // A crash: node three stops publishing before its connections go (no "offline" is ever sent).
      await three.bus.close();
      const vanishedAt = Date.now();
      await three.close();
      expect((await bobClient.next(presenceOf(carol), 8_000)).d).toMatchObject({ status: "offline" });
      expect(Date.now() - vanishedAt).toBeLessThan(PRESENCE.ttlMs + 2_500);
    });

    it("resumes delivery after a Redis restart; what was sent while Redis was down still arrives", async () => {
      const alice = await registerOverHttp(one.app);
      const bob = await registerOverHttp(two.app);
      const groupId = await createGroupVia(one, alice, [bob]);
      const bobClient = await synced(two, bob);
      await sendVia(one, alice, groupId);
      while (messages(bobClient, groupId).length < 1) await sleep(20);

      await redis.stop();
      const sent: string[] = [];
      for (let i = 0; i < 5; i++) sent.push((await sendVia(one, alice, groupId)).ciphertext);
      const ready = await fetch(`${two.base}/readyz`);
      expect([ready.status, await ready.json()]).toEqual([200, { status: "ok", store: "ok", bus: "down" }]);
      await sleep(300);
      await redis.start();
      const end = Date.now() + 15_000;
      while (messages(bobClient, groupId).length < 6 && Date.now() < end) await sleep(20);
      sent.push((await sendVia(two, alice, groupId)).ciphertext);
      while (messages(bobClient, groupId).length < 7 && Date.now() < end) await sleep(20);
      const got = messages(bobClient, groupId);
      expect(got.slice(1).map((m) => m.payload)).toEqual(sent);
      expect(new Set(got.map((m) => m.seq)).size).toBe(got.length);
      expect(await metricValue(one, 'volly_bus_errors_total{kind="publish"}')).toBeGreaterThan(0);
    });
  },
);
