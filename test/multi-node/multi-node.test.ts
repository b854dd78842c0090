import { afterAll, describe, expect, it } from "vitest";
import { waitFor } from "../helpers/wait-for.js";
import { type Cluster, POSTGRES, REDIS_SERVER, startCluster } from "./helpers/cluster.js";
import { scratchDir } from "./helpers/node-process.js";
import {
  deliveredEverywhere,
  type Stream,
  sendStreams,
  setUp,
  tally,
  type User,
  waitForDelivery,
} from "./helpers/stream.js";

/** 6 users; DMs between users on different nodes; one group of three users on three nodes. */
const HANDLES = ["alice", "bob", "carol", "dave", "erin", "frank"];
const DMS: [number, number][] = [
  [0, 1],
  [2, 3],
  [4, 5],
];
const GROUP = [0, 2, 4];
/** 6 × 40 DM messages + 3 × 20 group messages = 300. */
const DM_COUNT = 40;
const GROUP_COUNT = 20;
const PAUSE_MS = 15;

function streamsOf(users: User[], dmIds: string[], groupId: string): Stream[] {
  const streams: Stream[] = [];
  for (const [k, [a, b]] of DMS.entries()) {
    const conversationId = dmIds[k] ?? "";
    streams.push({ sender: users[a]!, conversationId, kind: "dm", count: DM_COUNT, recipients: [users[b]!] });
    streams.push({ sender: users[b]!, conversationId, kind: "dm", count: DM_COUNT, recipients: [users[a]!] });
  }
  const members = GROUP.map((i) => users[i]!);
  for (const sender of members) {
    const recipients = members.filter((m) => m !== sender);
    streams.push({ sender, conversationId: groupId, kind: "group", count: GROUP_COUNT, recipients });
  }
  return streams;
}

describe.skipIf(!POSTGRES.run || !REDIS_SERVER.run)(
  "multi-node: 3 `volly serve` processes on one PostgreSQL and one Redis (DESIGN.md: Deployment shapes)",
  () => {
    const clusters: Cluster[] = [];
    const users: User[] = [];
    afterAll(async () => {
      for (const u of users.splice(0)) await u.client.close().catch(() => undefined);
      for (const c of clusters.splice(0)) await c.close();
    });

    it("loses and duplicates nothing when a node is killed with SIGKILL mid-stream; its clients fail over", async () => {
      const t0 = Date.now();
      const cluster = await startCluster(3);
      clusters.push(cluster);
      const urls = cluster.nodes.map((n) => n.url);
      const {
        users: people,
        dmIds,
        groupId,
      } = await setUp(scratchDir("volly-mn-"), urls, HANDLES, DMS, GROUP);
      users.push(...people);
      const setupMs = Date.now() - t0;
      const streams = streamsOf(people, dmIds, groupId);
      const total = streams.reduce((n, s) => n + s.count, 0);

      const victim = 1;
      const victimHost = new URL(urls[victim]!).host;
      const onVictim = people.filter((u) => u.client.connection.url.includes(victimHost));
      /** When each of the victim's clients was connected (READY) to another node again. */
      const reconnectedAt = new Map<string, number>();
      let killedAt = 0;
      for (const u of onVictim) {
        u.client.connection.stateChanges.add((state) => {
          if (killedAt && state === "connected" && !u.client.connection.url.includes(victimHost)) {
            if (!reconnectedAt.has(u.handle)) reconnectedAt.set(u.handle, Date.now());
          }
        });
      }
      let killing: Promise<void> | undefined;
      let sentWhileFailingOver = 0;
      const streamStart = Date.now();
      const result = await sendStreams(streams, PAUSE_MS, (sent) => {
        if (sent === Math.floor(total / 3) && !killing) {
          killedAt = Date.now();
          killing = cluster.nodes[victim]!.kill9();
        } else if (killing && reconnectedAt.size < onVictim.length) sentWhileFailingOver++;
      });
      await killing;
      const streamMs = Date.now() - streamStart;
      await waitFor(() => reconnectedAt.size === onVictim.length, {
        message: "the killed node's clients to fail over",
        timeoutMs: 30_000,
      });
      await waitForDelivery(streams, 45_000);
      const allDeliveredMs = Date.now() - streamStart;
      await new Promise((r) => setTimeout(r, 500)); // anything duplicated would have arrived by now
      const counts = await tally(streams, people);
      const failover = [...reconnectedAt.values()].map((at) => at - killedAt);
      console.log(
        JSON.stringify({
          test: "multi-node kill -9",
          nodes: 3,
          clients: people.length,
          messages: total,
          killedAfterSent: Math.floor(total / 3),
          clientsOnKilledNode: onVictim.length,
          failoverMsMax: Math.max(...failover),
          sentWhileFailingOver,
          sendsQueuedByOutbox: result.queued,
          clusterStartMs: cluster.startMs,
          setupMs,
          streamMs,
          allDeliveredMs,
          ...counts,
        }),
      );
      expect(onVictim.length).toBeGreaterThan(0);
      expect(counts.expected).toBe(6 * DM_COUNT + 3 * 2 * GROUP_COUNT);
      expect(counts).toMatchObject({
        missing: 0,
        duplicates: 0,
        outOfOrder: 0,
        undecryptable: 0,
        storedTwice: 0,
      });
      expect(counts.delivered).toBe(counts.expected);
      expect(cluster.nodes.filter((n) => n.exited()).length).toBe(1);
      for (const node of cluster.nodes) expect(node.output()).not.toContain(`|${groupId}|`);
    });

    it("resumes delivery after Redis is restarted mid-stream; nothing sent meanwhile is lost", async () => {
      const t0 = Date.now();
      const cluster = await startCluster(3);
      clusters.push(cluster);
      const urls = cluster.nodes.map((n) => n.url);
      const {
        users: people,
        dmIds,
        groupId,
      } = await setUp(scratchDir("volly-mn-"), urls, HANDLES, DMS, GROUP);
      users.push(...people);
      const setupMs = Date.now() - t0;
      const streams = streamsOf(people, dmIds, groupId);
      const total = streams.reduce((n, s) => n + s.count, 0);

      let stoppedAt = 0;
      let restartedAt = 0;
      const whileDown: [Stream, number][] = [];
      let outage: Promise<void> | undefined;
      const streamStart = Date.now();
      const result = await sendStreams(streams, PAUSE_MS, (sent, stream, index) => {
        if (sent === Math.floor(total / 3) && !outage) {
          stoppedAt = Date.now();
          outage = (async () => {
            await cluster.redis.stop();
            await new Promise((r) => setTimeout(r, 1_500));
            await cluster.redis.start();
            restartedAt = Date.now();
          })();
        } else if (outage && !restartedAt) whileDown.push([stream, index]);
      });
      await outage;
      const streamMs = Date.now() - streamStart;
      await waitFor(() => whileDown.every(([stream, index]) => deliveredEverywhere(stream, index)), {
        message: "the messages sent while Redis was down",
        timeoutMs: 30_000,
      });
      const backlogDeliveredMs = Date.now() - restartedAt;
      await waitForDelivery(streams, 45_000);
      const allDeliveredMs = Date.now() - streamStart;
      await new Promise((r) => setTimeout(r, 500));
      const counts = await tally(streams, people);
      console.log(
        JSON.stringify({
          test: "multi-node Redis restart",
          nodes: 3,
          clients: people.length,
          messages: total,
          redisStoppedAfterSent: Math.floor(total / 3),
          redisDownMs: restartedAt - stoppedAt,
          sentWhileRedisDown: whileDown.length,
          sentWhileDownAllDeliveredMsAfterRestart: backlogDeliveredMs,
          sendsQueuedByOutbox: result.queued,
          clusterStartMs: cluster.startMs,
          setupMs,
          streamMs,
          allDeliveredMs,
          ...counts,
        }),
      );
      expect(whileDown.length).toBeGreaterThan(0);
      expect(counts).toMatchObject({
        missing: 0,
        duplicates: 0,
        outOfOrder: 0,
        undecryptable: 0,
        storedTwice: 0,
      });
      expect(counts.delivered).toBe(counts.expected);
      expect(cluster.nodes.every((n) => !n.exited())).toBe(true);
    });
  },
);
