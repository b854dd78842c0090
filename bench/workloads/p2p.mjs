/**
 * p2p: message latency over a direct path (WebRTC data channel, werift) against through the server,
 * and the direct path's throughput, between two devices on one LAN (issue 17), in the same run.
 *
 * Topology (network namespaces, needs root): one LAN bridge with three hosts — alice (10.79.1.1),
 * bob (10.79.1.2) and `volly serve` (10.79.1.10:7777). Alice and bob are each a Node agent process
 * (bench/lib/p2p-agent.mjs) in their own namespace, bot accounts, sharing a direct conversation.
 * 1. Through the server: both clients without direct paths; alice sends N messages one at a time
 *    (`messaging.send`, one started at most every `--interval` ms); bob notes when each is received
 *    (`messaging.received`). Both namespaces share the machine's monotonic clock, so one-way latency
 *    = receive time − send time written in the message.
 * 2. Direct: both profiles reopened with direct paths and LAN discovery (`startLanTransport`); once
 *    the path is open (found by mDNS, signaled inside MLS), the same N messages. Hybrid delivery:
 *    the server's copy still goes out; the latency is that of the first copy bob stores.
 * 3. Direct throughput: alice queues M messages as fast as the outbox takes them
 *    (`messaging.enqueue`); messages/s and MB/s of text at bob, from the first send to the last
 *    receipt, the share of them that came over the direct path first, and the rate at which alice
 *    queued them (encryption and storage: the bound of the throughput when it is reached).
 *
 *   node bench/workloads/p2p.mjs [--N 300] [--M 2000] [--size 1024] [--interval 20] [--quick]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { numberFlag, runAsMain } from "../lib/main.mjs";
import { NetLab, netnsUnavailable } from "../lib/netns.mjs";
import { CLI_BIN } from "../lib/server.mjs";
import { percentile } from "../lib/stats.mjs";

export const description =
  "One-way message latency between two devices on one LAN (two network namespaces on a bridge, the " +
  "server on the same LAN): through the server only (direct paths off) and with a direct path open " +
  "(WebRTC data channel via werift, found by LAN discovery, signaled inside MLS; the server's copy " +
  "still goes out, the first copy stored counts), N messages each, one at a time; and the direct " +
  "path's throughput (messages queued as fast as the outbox takes them, received at the other device), " +
  "in the same run. Agents, server and namespaces share the machine and its clock.";

export const units = {
  p50Ms: "ms",
  p99Ms: "ms",
  directShare: "%",
  messagesPerSec: "messages/s",
  MBPerSec: "MB/s",
  queuedPerSec: "messages/s",
  openMs: "ms",
};

export const targets = [];

export const defaultRuns = 3;

const AGENT = resolve(import.meta.dirname, "../lib/p2p-agent.mjs");
const SERVER_ADDRESS = "10.79.1.10";
const SERVER_PORT = 7777;
const COMMAND_TIMEOUT_MS = 180_000;

/** Polls `check` every 100 ms until it returns a truthy value; throws `message` after `timeoutMs`. */
async function waitFor(check, timeoutMs, message) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${message}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts `volly serve` in `host`'s namespace; resolves once it listens. */
async function startServer(lab, host, dataDir) {
  const child = lab.spawnIn(
    host,
    process.execPath,
    [CLI_BIN, "serve", "--host", SERVER_ADDRESS, "--port", String(SERVER_PORT), "--data", dataDir],
    {
      env: {
        ...process.env,
        VOLLY_LOG_LEVEL: "info",
        VOLLY_RATE_LIMIT_IP_MAX: "1000000000",
        VOLLY_RATE_LIMIT_BOT_MAX: "1000000000",
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let head = "";
  await new Promise((resolveUp, reject) => {
    const timer = setTimeout(() => reject(new Error(`volly serve did not start:\n${head}`)), 60_000);
    const onData = (c) => {
      if (head.length < 20_000) head += c;
      if (/"url":"http/.test(head)) {
        clearTimeout(timer);
        resolveUp();
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`volly serve exited ${code}:\n${head}`));
    });
  });
  return `http://${SERVER_ADDRESS}:${SERVER_PORT}`;
}

/** Starts an agent in `host`'s namespace; `call(cmd, args)` resolves with its answer. */
function startAgent(lab, host) {
  const child = lab.spawnIn(host, process.execPath, [AGENT], { stdio: ["pipe", "pipe", "pipe"] });
  let err = "";
  child.stderr.on("data", (c) => {
    err = (err + c).slice(-4000);
  });
  const pending = new Map();
  let next = 0;
  createInterface({ input: child.stdout }).on("line", (line) => {
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    clearTimeout(p.timer);
    if (msg.ok) p.resolve(msg);
    else p.reject(new Error(`${host.name}: ${p.cmd} failed: ${msg.error}`));
  });
  child.once("exit", (code) => {
    for (const p of pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error(`${host.name}'s agent exited ${code} during ${p.cmd}:\n${err}`));
    }
    pending.clear();
  });
  return {
    call(cmd, args = {}) {
      const id = next++;
      return new Promise((resolveCall, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${host.name}: ${cmd} timed out:\n${err}`));
        }, COMMAND_TIMEOUT_MS);
        pending.set(id, { resolve: resolveCall, reject, timer, cmd });
        child.stdin.write(`${JSON.stringify({ id, cmd, ...args })}\n`);
      });
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.stdin.end();
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** p50/p99 one-way latency of received entries, and the share that came direct (%). */
function latencies(messages) {
  const ms = messages.map((m) => m.receivedAt - m.sentAt);
  return {
    p50Ms: percentile(ms, 50),
    p99Ms: percentile(ms, 99),
    directShare: (100 * messages.filter((m) => m.direct).length) / messages.length,
  };
}

async function run(flags) {
  const unavailable = await netnsUnavailable();
  if (unavailable) return { scenarios: {}, notes: [`skipped: ${unavailable}`] };
  const quick = flags.quick === "true";
  const N = numberFlag(flags, "N", quick ? 50 : 300);
  const M = numberFlag(flags, "M", quick ? 300 : 2000);
  const size = numberFlag(flags, "size", 1024);
  const interval = numberFlag(flags, "interval", 20);
  const warm = 20;
  const load = loadavg()[0];
  const home = mkdtempSync(join(tmpdir(), "volly-bench-p2p-"));
  const removeHome = () => rmSync(home, { recursive: true, force: true });
  process.once("exit", removeHome); // also when a signal ends the run (NetLab exits on SIGINT/SIGTERM)
  const lab = await NetLab.create();
  const agents = [];
  try {
    const lan = await lab.lan("lan");
    const hostA = await lab.host("a", lan, "10.79.1.1");
    const hostB = await lab.host("b", lan, "10.79.1.2");
    const hostS = await lab.host("s", lan, SERVER_ADDRESS);
    const serverUrl = await startServer(lab, hostS, join(home, "server"));
    const tag = Date.now().toString(36).slice(-5);
    const alice = startAgent(lab, hostA);
    const bob = startAgent(lab, hostB);
    agents.push(alice, bob);
    const profile = (agent, handle, extra) =>
      agent.call("open", { dir: join(home, handle), serverUrl, handle, ...extra });
    const [aHandle, bHandle] = [`alice${tag}`, `bob${tag}`];

    // 1. Through the server: no direct paths on either device.
    await profile(alice, aHandle, { create: true, direct: false });
    await profile(bob, bHandle, { create: true, direct: false });
    const { conversationId } = await alice.call("dm", { peer: bHandle });
    const conv = { conversationId, size };
    await alice.call("pace", { ...conv, phase: "hello", n: 1, intervalMs: 0 });
    await bob.call("collect", { phase: "hello", n: 1, timeoutMs: 60_000 });
    const measure = async (phase) => {
      await alice.call("pace", { ...conv, phase: `${phase}-warm`, n: warm, intervalMs: interval });
      await bob.call("collect", { phase: `${phase}-warm`, n: warm, timeoutMs: 60_000 });
      console.error(`p2p: ${N} messages ${phase}`);
      await alice.call("pace", { ...conv, phase, n: N, intervalMs: interval });
      return latencies((await bob.call("collect", { phase, n: N, timeoutMs: 60_000 })).messages);
    };
    const viaServer = await measure("server");
    const { directShare: _none, ...throughServer } = viaServer;

    // 2. Direct: the same profiles reopened with direct paths and LAN discovery.
    await Promise.all([alice.call("close"), bob.call("close")]);
    await profile(alice, aHandle, { create: false, direct: true, lan: true });
    await profile(bob, bHandle, { create: false, direct: true, lan: true });
    const opened = Date.now();
    const peers = await waitFor(
      async () => {
        const [a, b] = await Promise.all([alice.call("peers"), bob.call("peers")]);
        return a.peers.length > 0 && b.peers.length > 0 ? a.peers : undefined;
      },
      90_000,
      "a direct path between alice and bob (LAN discovery)",
    );
    const pathMs = Date.now() - opened;
    const direct = { ...(await measure("direct")), openMs: pathMs };

    // 3. Direct throughput.
    console.error(`p2p: ${M} messages of ${size} B as fast as the outbox takes them`);
    const before = (await bob.call("counts")).counts;
    const { startedAt, queuedAt } = await alice.call("burst", { ...conv, phase: "burst", n: M });
    const { messages } = await bob.call("collect", { phase: "burst", n: M, timeoutMs: 170_000 });
    const after = (await bob.call("counts")).counts;
    const seconds = (Math.max(...messages.map((m) => m.receivedAt)) - startedAt) / 1000;
    const throughput = {
      messagesPerSec: M / seconds,
      MBPerSec: (M * size) / seconds / 1e6,
      directShare: (100 * messages.filter((m) => m.direct).length) / M,
      queuedPerSec: M / ((queuedAt - startedAt) / 1000),
    };
    return {
      scenarios: {
        "through the server": throughServer,
        "direct path": direct,
        "direct throughput": throughput,
      },
      notes: [
        `Messages of ${size} B of text (ASCII; the ciphertext on the wire is larger). Latency: ${N} messages ` +
          `per scenario after ${warm} warm-up ones, one at a time (next once the server stored the last), ` +
          `at most one every ${interval} ms. Throughput: ${M} messages queued back to back (messaging.enqueue).`,
        `Direct path ${peers.map((p) => `via ${p.via}`).join(", ")}; openMs: from both clients reopened ` +
          `with direct paths to the path open both ways (throughput run: firstDirect counted ${after.firstDirect - before.firstDirect} of ${M}).`,
        "directShare: share of messages bob stored from the direct path before the server's copy. " +
          "queuedPerSec: how fast alice queued the throughput run's messages (messaging.enqueue: MLS " +
          "encryption and storage); when messagesPerSec is close to it, the sender is the bound, not the path.",
        `1-minute load average at the start of the run: ${load.toFixed(1)}.`,
      ],
    };
  } finally {
    for (const agent of agents) await agent.stop().catch(() => {});
    await lab.cleanup();
    process.off("exit", removeHome);
    removeHome();
  }
}

runAsMain(import.meta.url, run);
