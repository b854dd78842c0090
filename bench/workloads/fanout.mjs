/**
 * fanout: G groups of S members (each a separate authenticated gateway connection); K senders send
 * M messages each over the gateway (op SEND; --send rest: REST), closed-loop (W in flight per sender) or at a fixed offered rate;
 * 256-byte opaque payloads carrying the send time. Shapes: embedded (SQLite, in-process bus) and
 * scaled (PostgreSQL + Redis; 1 and 3 nodes, connections spread round-robin), federated-3 (three
 * federated servers on 127.0.0.2–4, members registered round-robin on them, each group hosted by its
 * first member's server: the other members' servers relay for them), and raw-relay, the ceiling: a
 * plain ws server forwarding each frame to the group's other members with no authentication,
 * storage or crypto (`bench/lib/raw-relay.mjs`); embedded closed-loop is reported as a ratio of it
 * (`ofRawRelay`, same run).
 *
 *   node bench/workloads/fanout.mjs [--G 10] [--S 50] [--K 20] [--M 200] [--W 10] [--rate 100]
 *     [--rate-seconds 10] [--shapes raw-relay,embedded,scaled-1,scaled-3,federated-3] [--modes closed,rate]
 *     [--quick]
 *     [--send gateway|rest] [--cpu-prof DIR] [--server-node-args="--flag --flag=value"]
 *
 * `--server-node-args` passes Node/V8 flags to every server process (not to the raw relay or the load
 * generator), e.g. to measure a garbage collector setting against the default in alternated runs.
 */
import { mkdirSync } from "node:fs";
import { cpus } from "node:os";

import { ACK_COALESCE_MS } from "@volly/client/testing";
import { generateIdentity } from "@volly/crypto";
import { newId, toBase64Url } from "@volly/protocol";
import { measureDiskCommit } from "../lib/disk-commit.mjs";
import { numberFlag, runAsMain } from "../lib/main.mjs";
import {
  cpuMsOf,
  createDatabase,
  freePort,
  rssOf,
  startFederation,
  startRawRelay,
  startVolly,
  writeCallsOf,
} from "../lib/server.mjs";
import { percentile } from "../lib/stats.mjs";
import { openRedisCommandCounter, servicesCpuMs, storeStatements } from "../lib/store-counters.mjs";
import { createGroupWith, openGateway, registerMember, request } from "../lib/volly-wire.mjs";

export const description =
  "G groups of S members, each member a separate authenticated gateway connection; K senders send M " +
  "messages each over their gateway connection (op SEND, answered by SEND_ACK once the message is stored " +
  "durably, as the SDK sends; `--send rest` uses POST /v1/groups/:id/messages instead), closed-loop " +
  "with W in flight per sender, or at a fixed offered rate. Payloads are 256 opaque bytes starting with " +
  `the send time; receivers read it from each GROUP_MESSAGE and ACK their cursors ${ACK_COALESCE_MS} ms after the first ` +
  "unacknowledged delivery, as the SDK does. Deliveries = messages × recipients (S − 1). The load generator is one process on " +
  "the same 2 cores; its CPU use is reported (loadgenCpuPct) to show whether it was the bottleneck. " +
  "Shape federated-3: three federated servers (127.0.0.2–4), each member registered on and connected to one " +
  "of them round-robin, each group hosted by its first member's server; members of the other two servers " +
  "send through their own server (forwarded to the hub) and receive from it (mirrored from the hub). " +
  "Shape raw-relay, the ceiling: a plain ws server (bench/lib/raw-relay.mjs) that forwards each SEND to the " +
  "group's other connections as a GROUP_MESSAGE and answers it at once — no authentication, storage, " +
  "validation or crypto — on the same workload and load generator; ofRawRelay is embedded closed-loop's " +
  "deliveries/s over the relay's in the same run. statementsPerMessage: SQL statements the server(s) ran " +
  "(volly_store_statements_total from each node's /metrics: queries, savepoints, BEGIN and COMMIT, the " +
  "receivers' cursor acks included) per message sent; redisCommandsPerMessage: Redis commands processed " +
  "(INFO stats total_commands_processed) per message sent. ofEmbedded: scaled-1 closed-loop over embedded, " +
  "ofOneNode: scaled-3 over scaled-1, same run. serverWritesPerDelivery: the Volly nodes' write system calls " +
  "(syscw of /proc/PID/io, summed) per delivery: how many frames leave in each socket write. diskCommitP50Ms/P99Ms/MaxMs (embedded, rated): one durable " +
  "SQLite commit of a small row (WAL, synchronous=FULL: write + fsync) on the disk the server keeps its data on, " +
  "400 commits 5 ms apart just before the run (bench/lib/disk-commit.mjs) — the floor under every acknowledged " +
  "message's latency. servicesCpuPct (scaled shapes): CPU of every postgres and " +
  "redis-server process on the machine over the run (% of one core), beside the Volly nodes' serverCpuPct.";

export const units = {
  deliveriesPerSec: "deliveries/s",
  messagesPerSec: "messages/s",
  e2eP50Ms: "ms",
  e2eP95Ms: "ms",
  e2eP99Ms: "ms",
  ackP50Ms: "ms",
  ackP99Ms: "ms",
  serverPeakRssMiB: "MiB",
  serverCpuPct: "% of one core",
  loadgenCpuPct: "% of one core",
  ofRawRelay: "× raw relay",
  servicesCpuPct: "% of one core",
  statementsPerMessage: "statements",
  redisCommandsPerMessage: "commands",
  ofEmbedded: "× embedded",
  ofOneNode: "× 1 node",
  serverWritesPerDelivery: "write calls",
  diskCommitP50Ms: "ms",
  diskCommitP99Ms: "ms",
  diskCommitMaxMs: "ms",
};

export const targets = [
  {
    scenario: "embedded closed-loop",
    metric: "deliveriesPerSec",
    op: ">=",
    value: 100_000,
    label: "fanout, embedded, closed loop ≥ 100,000 deliveries/s",
  },
  {
    scenario: "embedded closed-loop",
    metric: "ofRawRelay",
    op: ">=",
    value: 0.7,
    label: "fanout, embedded, closed loop ≥ 0.7× a raw ws relay in the same run (the ceiling)",
  },
  {
    scenario: "scaled-1 closed-loop",
    metric: "ofEmbedded",
    op: ">=",
    value: 0.5,
    label: "fanout, PostgreSQL + Redis, 1 node, closed loop ≥ 0.5× embedded in the same run",
  },
  {
    scenario: "scaled-3 closed-loop",
    metric: "ofOneNode",
    op: ">=",
    value: 0.8,
    label: "fanout, PostgreSQL + Redis, 3 nodes, closed loop ≥ 0.8× 1 node in the same run",
  },
  {
    scenario: "embedded 100 msg/s",
    metric: "e2eP99Ms",
    op: "<=",
    value: 5,
    label: "fanout, embedded, 100 messages/s offered: p99 ≤ 5 ms",
  },
];

export const defaultRuns = 3;

const now = () => performance.timeOrigin + performance.now();

const GROUP_MESSAGE = Buffer.from('"t":"GROUP_MESSAGE"');
const APPLICATION = Buffer.from('"kind":"application"');
const PAYLOAD = Buffer.from('"payload":"');
const SEQ = Buffer.from('"seq":');

/** Reads the send time (ms, float64 LE) from the first 8 payload bytes of a GROUP_MESSAGE frame's bytes. */
function sentAtOf(data) {
  const i = data.indexOf(PAYLOAD);
  if (i < 0) return undefined;
  const start = i + PAYLOAD.length;
  return Buffer.from(data.toString("latin1", start, start + 11), "base64url").readDoubleLE(0);
}

/** The log seq of a GROUP_MESSAGE frame's bytes. */
function logSeqOf(data) {
  let i = data.indexOf(SEQ) + SEQ.length;
  let n = 0;
  for (; i < data.length; i++) {
    const c = data[i];
    if (c < 48 || c > 57) break;
    n = n * 10 + (c - 48);
  }
  return n;
}

async function startShape(shape, cpuProf, serverNodeArgs) {
  const profArgs = cpuProf ? ["--cpu-prof", "--cpu-prof-dir", cpuProf] : [];
  const nodeArgs = [...serverNodeArgs, ...profArgs];
  if (shape === "federated-3") {
    const federation = await startFederation({ nodeArgs });
    return {
      urls: federation.servers.map((s) => s.url),
      names: federation.servers.map((s) => s.name),
      pids: federation.servers.map((s) => s.pid),
      stop: () => federation.stop(),
    };
  }
  if (shape === "raw-relay") {
    const relay = await startRawRelay({ nodeArgs: profArgs });
    return { urls: [relay.url], pids: [relay.pid], raw: true, stop: () => relay.stop() };
  }
  // Each Volly node serves /metrics on a port of its own: the workload reads its statement count.
  const withMetrics = async (env) => {
    const port = await freePort("127.0.0.1");
    const server = await startVolly({ env: { ...env, VOLLY_METRICS_PORT: String(port) }, nodeArgs });
    return { ...server, metricsUrl: `http://127.0.0.1:${port}` };
  };
  if (shape === "embedded") {
    const server = await withMetrics({});
    return {
      urls: [server.url],
      pids: [server.pid],
      metricsUrls: [server.metricsUrl],
      stop: () => server.stop(),
    };
  }
  const nodes = Number(shape.split("-")[1]);
  const db = await createDatabase();
  const env = { VOLLY_DATABASE_URL: db.url, VOLLY_REDIS_URL: "redis://127.0.0.1:6379" };
  const servers = [await withMetrics(env)];
  for (let i = 1; i < nodes; i++) servers.push(await withMetrics(env));
  return {
    urls: servers.map((s) => s.url),
    pids: servers.map((s) => s.pid),
    metricsUrls: servers.map((s) => s.metricsUrl),
    redis: true,
    async stop() {
      await Promise.all(servers.map((s) => s.stop()));
      await db.drop();
    },
  };
}

/**
 * Federated shape: makes the owner's server (the group's hub) look up every member of another
 * server by `handle@server`, as a client adding them does, so it knows their devices.
 */
async function introduce(cluster, owner, others) {
  for (const member of others) {
    if (member.baseUrl === owner.baseUrl) continue;
    const name = cluster.names[cluster.urls.indexOf(member.baseUrl)];
    await request(owner.baseUrl, "GET", `/v1/accounts/${member.handle}@${name}`, { token: owner.token });
  }
}

/** Federated shape: waits until every member's own server mirrors its group (the Welcome arrived). */
async function waitForMirrors(groups) {
  const deadline = Date.now() + 60_000;
  for (const group of groups) {
    for (const member of group.members) {
      for (;;) {
        try {
          const g = await request(member.baseUrl, "GET", `/v1/groups/${group.groupId}`, {
            token: member.token,
          });
          if (g.epoch >= 1) break;
        } catch (error) {
          if (Date.now() > deadline) throw error;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }
}

/**
 * The raw relay's groups: G groups of S members that exist only as names (`g<g>.<i>`: the relay
 * takes a device's group from its id), sharing one throwaway Ed25519 key for the IDENTIFY the load
 * generator's client signs (the relay does not check it).
 */
function rawGroups(url, G, S) {
  const { signaturePrivateKey: privateKey } = generateIdentity();
  return Array.from({ length: G }, (_, g) => ({
    groupId: `g${g}`,
    members: Array.from({ length: S }, (_, i) => ({
      handle: `raw${g}x${i}`,
      deviceId: `g${g}.${i}`,
      privateKey,
      baseUrl: url,
    })),
  }));
}

/**
 * One scenario: set up, run closed-loop or rated sends, measure, tear down.
 *
 * @param {object} options shape, mode ("closed" | "rate"), via ("gateway" | "rest"), G, S, K, M, W,
 *   rate (messages/s), rateSeconds (s), cpuProf (directory or undefined), serverNodeArgs (Node flags
 *   of the server processes, default none), and sampleEveryMs: when
 *   set, the servers' summed RSS is read every that many ms from the first send to the last
 *   delivery and returned as `rssSamples` ([{ atMs, rssMiB, anonMiB, fileMiB }], atMs from the first send;
 *   anonMiB and fileMiB are VmRSS's anonymous and file-backed parts)
 * @returns {Promise<Record<string, number> & { rssSamples?: Array<{ atMs: number, rssMiB: number, anonMiB: number, fileMiB: number }> }>}
 */
export async function runScenario({
  shape,
  mode,
  via,
  G,
  S,
  K,
  M,
  W,
  rate,
  rateSeconds,
  cpuProf,
  serverNodeArgs = [],
  sampleEveryMs,
}) {
  // The embedded server's data is on this disk: its commit latency bounds the rated run's (measured
  // first, on a quiet machine, not beside the run).
  const disk = shape === "embedded" && mode === "rate" ? await measureDiskCommit() : {};
  const cluster = await startShape(shape, cpuProf, serverNodeArgs);
  const sockets = [];
  try {
    const urlFor = (i) => cluster.urls[i % cluster.urls.length];
    const run = newId()
      .slice(0, 6)
      .toLowerCase()
      .replace(/[^a-z0-9]/g, "x");
    const groups = cluster.raw ? rawGroups(cluster.urls[0], G, S) : [];
    if (!cluster.raw) {
      const members = [];
      for (let i = 0; i < G * S; i += 25) {
        const batch = [];
        for (let j = i; j < Math.min(G * S, i + 25); j++)
          batch.push(registerMember(urlFor(j), `b${run}${j}`));
        members.push(...(await Promise.all(batch)));
      }
      for (let g = 0; g < G; g++) {
        const list = members.slice(g * S, (g + 1) * S);
        if (cluster.names) await introduce(cluster, list[0], list.slice(1));
        groups.push({ groupId: await createGroupWith(list[0], list.slice(1)), members: list });
      }
      if (cluster.names) await waitForMirrors(groups);
    }

    // Receivers: every member, connected (and following its group) before the first send.
    const latencies = [];
    let delivered = 0;
    let lastDeliveryAt = 0;
    let resolveDone;
    const done = new Promise((r) => {
      resolveDone = r;
    });
    let expected = Number.POSITIVE_INFINITY;
    for (const [g, group] of groups.entries()) {
      for (const [i, member] of group.members.entries()) {
        let cursor = 0;
        let acked = 0;
        // As the SDK does: ack ACK_COALESCE_MS after the first delivery not acked yet.
        let ackTimer;
        const ackNow = () => {
          ackTimer = undefined;
          if (cursor > acked) {
            gw.ack([{ groupId: group.groupId, seq: cursor }]);
            acked = cursor;
          }
        };
        const gw = await openGateway(member, {
          url: urlFor(g * S + i),
          onDispatch(data) {
            if (data.indexOf(GROUP_MESSAGE) < 0) return;
            if (data.indexOf(APPLICATION) < 0) return;
            const at = sentAtOf(data);
            const t = now();
            latencies.push(t - at);
            delivered++;
            lastDeliveryAt = t;
            const seq = logSeqOf(data);
            if (seq > cursor) cursor = seq;
            ackTimer ??= setTimeout(ackNow, ACK_COALESCE_MS);
            if (delivered >= expected) resolveDone();
          },
        });
        sockets.push({ gw, timer: () => clearTimeout(ackTimer) });
        member.gw = gw;
      }
    }

    // Senders: K of them, spread over the groups (the first K / G members of each group).
    const perGroup = Math.ceil(K / G);
    const senders = [];
    for (let k = 0; k < K; k++) {
      const group = groups[k % G];
      senders.push({ member: group.members[Math.floor(k / G) % perGroup], groupId: group.groupId });
    }
    const payload = Buffer.alloc(256);
    const ackLatencies = [];
    const sendOne = async (sender) => {
      const t0 = now();
      payload.writeDoubleLE(t0, 0);
      const body = { messageId: newId(), epoch: 1, ciphertext: toBase64Url(payload) };
      if (via === "gateway") {
        await sender.member.gw.send(sender.groupId, body);
      } else {
        await request(sender.member.baseUrl, "POST", `/v1/groups/${sender.groupId}/messages`, {
          token: sender.member.token,
          body,
        });
      }
      ackLatencies.push(now() - t0);
    };

    // Open every sender's keep-alive sockets first: the figures are for steady state, not for 200
    // TCP connections being accepted at once.
    if (via === "rest")
      await Promise.all(
        senders.flatMap((sender) =>
          Array.from({ length: W }, () => request(sender.member.baseUrl, "GET", "/healthz")),
        ),
      );
    const messages = mode === "closed" ? K * M : Math.round(rate * rateSeconds);
    expected = messages * (S - 1);
    const statements0 = cluster.metricsUrls ? await storeStatements(cluster.metricsUrls) : undefined;
    const redisCounter = cluster.redis ? await openRedisCommandCounter() : undefined;
    const redis0 = (await redisCounter?.read()) ?? 0;
    const cpu0 = process.cpuUsage();
    const serverCpu0 = cluster.pids.map(cpuMsOf);
    const serverWrites0 = cluster.pids.map(writeCallsOf);
    const servicesCpu0 = cluster.redis ? servicesCpuMs() : 0;
    const start = now();
    const rssSamples = [];
    const sampleRss = () => {
      const rss = cluster.pids.map(rssOf);
      const sum = (key) => rss.reduce((total, r) => total + r[key], 0) / 2 ** 20;
      rssSamples.push({
        atMs: now() - start,
        rssMiB: sum("rss"),
        anonMiB: sum("anon"),
        fileMiB: sum("file"),
      });
    };
    const sampler = sampleEveryMs ? setInterval(sampleRss, sampleEveryMs) : undefined;
    if (sampler) sampleRss();
    if (mode === "closed") {
      await Promise.all(
        senders.map(async (sender) => {
          let next = 0;
          const lane = async () => {
            while (next < M) {
              next++;
              await sendOne(sender);
            }
          };
          await Promise.all(Array.from({ length: W }, lane));
        }),
      );
    } else {
      // Open loop: message i leaves at start + i / rate, whatever the answers do.
      const pending = [];
      for (let i = 0; i < messages; i++) {
        const due = start + (i * 1000) / rate;
        const wait = due - now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        pending.push(sendOne(senders[i % senders.length]));
      }
      await Promise.all(pending);
    }
    const timeout = setTimeout(resolveDone, 60_000);
    await done;
    clearTimeout(timeout);
    if (sampler) {
      clearInterval(sampler);
      sampleRss();
    }
    const elapsedMs = lastDeliveryAt - start;
    const cpu = process.cpuUsage(cpu0);
    const serverCpuMs = cluster.pids.map((pid, i) => cpuMsOf(pid) - serverCpu0[i]);
    const serverWrites = cluster.pids.reduce((n, pid, i) => n + writeCallsOf(pid) - serverWrites0[i], 0);
    const servicesCpu = cluster.redis
      ? { servicesCpuPct: ((servicesCpuMs() - servicesCpu0) / elapsedMs) * 100 }
      : {};
    const peak = cluster.pids.map((pid) => rssOf(pid).peak);
    if (delivered < expected) throw new Error(`${shape} ${mode}: delivered ${delivered} of ${expected}`);
    // After the last delivery, the receivers' last cursor acks are still to come: wait them out.
    await new Promise((r) => setTimeout(r, ACK_COALESCE_MS * 4));
    const perMessage = {};
    const statements1 = cluster.metricsUrls ? await storeStatements(cluster.metricsUrls) : undefined;
    if (statements1 !== undefined && statements0 !== undefined)
      perMessage.statementsPerMessage = (statements1 - statements0) / messages;
    if (redisCounter) {
      // less the first reading's own INFO
      perMessage.redisCommandsPerMessage = ((await redisCounter.read()) - redis0 - 1) / messages;
      redisCounter.close();
    }
    return {
      deliveriesPerSec: (delivered / elapsedMs) * 1000,
      messagesPerSec: (messages / elapsedMs) * 1000,
      e2eP50Ms: percentile(latencies, 50),
      e2eP95Ms: percentile(latencies, 95),
      e2eP99Ms: percentile(latencies, 99),
      ackP50Ms: percentile(ackLatencies, 50),
      ackP99Ms: percentile(ackLatencies, 99),
      serverPeakRssMiB: Math.max(...peak) / 2 ** 20,
      serverCpuPct: (serverCpuMs.reduce((a, b) => a + b, 0) / elapsedMs) * 100,
      serverWritesPerDelivery: serverWrites / delivered,
      loadgenCpuPct: ((cpu.user + cpu.system) / 1000 / elapsedMs) * 100,
      ...perMessage,
      ...servicesCpu,
      ...disk,
      ...(sampler ? { rssSamples } : {}),
    };
  } finally {
    for (const { gw, timer } of sockets) {
      timer();
      gw.close();
    }
    await cluster.stop();
  }
}

async function run(flags) {
  const quick = flags.quick === "true";
  const G = numberFlag(flags, "G", quick ? 4 : 10);
  const S = numberFlag(flags, "S", quick ? 10 : 50);
  const K = numberFlag(flags, "K", quick ? 4 : 20);
  const M = numberFlag(flags, "M", quick ? 50 : 200);
  const W = numberFlag(flags, "W", 10);
  const rate = numberFlag(flags, "rate", 100);
  const rateSeconds = numberFlag(flags, "rate-seconds", quick ? 3 : 10);
  const shapes = (flags.shapes ?? "raw-relay,embedded,scaled-1,scaled-3,federated-3").split(",");
  const modes = (flags.modes ?? "closed,rate").split(",");
  const cpuProf = flags["cpu-prof"];
  const serverNodeArgs = (flags["server-node-args"] ?? "").split(" ").filter(Boolean);
  const via = flags.send ?? "gateway";
  if (via !== "gateway" && via !== "rest") throw new Error(`--send must be gateway or rest, got ${via}`);
  if (cpuProf) mkdirSync(cpuProf, { recursive: true });
  const options = { via, G, S, K, M, W, rate, rateSeconds, cpuProf, serverNodeArgs };
  const scenarios = {};
  for (const shape of shapes) {
    for (const mode of modes) {
      const name = `${shape} ${mode === "closed" ? "closed-loop" : `${rate} msg/s`}`;
      console.error(`fanout: ${name} (G=${G} S=${S} K=${K} M=${M} W=${W})`);
      scenarios[name] = await runScenario({ shape, mode, ...options });
      console.error(`fanout: ${name}: ${JSON.stringify(scenarios[name])}`);
    }
  }
  const raw = scenarios["raw-relay closed-loop"];
  const embedded = scenarios["embedded closed-loop"];
  if (raw && embedded) embedded.ofRawRelay = embedded.deliveriesPerSec / raw.deliveriesPerSec;
  const scaled1 = scenarios["scaled-1 closed-loop"];
  const scaled3 = scenarios["scaled-3 closed-loop"];
  if (scaled1 && embedded) scaled1.ofEmbedded = scaled1.deliveriesPerSec / embedded.deliveriesPerSec;
  if (scaled1 && scaled3) scaled3.ofOneNode = scaled3.deliveriesPerSec / scaled1.deliveriesPerSec;
  return {
    scenarios,
    notes: [
      `G=${G} S=${S} (${G * S} connections) K=${K} M=${M} W=${W}; offered rate ${rate} messages/s for ${rateSeconds} s; ${cpus().length} cores shared by server(s) and load generator; sends over ${via === "gateway" ? "the gateway (op SEND)" : "REST"}.`,
      ...bottleneckNotes(scenarios),
    ],
  };
}

/**
 * Says, for each closed-loop scenario, which process was the bottleneck: the load generator is one
 * Node process, so it is saturated at ~100 % of one core; the server is saturated when its CPU
 * (all threads, % of one core) is at or above that while the load generator has room left.
 * @param {Record<string, Record<string, number>>} scenarios figures per scenario name
 * @returns {string[]} one sentence per closed-loop scenario
 */
function bottleneckNotes(scenarios) {
  const notes = [];
  for (const [name, s] of Object.entries(scenarios)) {
    if (!name.endsWith("closed-loop")) continue;
    const verdict =
      s.loadgenCpuPct >= 95
        ? "the load generator was saturated too (≥ 95 % of one core), so deliveriesPerSec may understate the server"
        : "the load generator stayed below 95 % of one core (loadgenCpuPct) while the server's main thread was busy, so it was not the bottleneck";
    notes.push(`${name}: ${verdict}.`);
  }
  return notes;
}

runAsMain(import.meta.url, run);
