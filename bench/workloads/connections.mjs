/**
 * connections: N idle authenticated gateway connections on one real `volly serve` process (embedded
 * shape, SQLite), and 30,000 on two nodes of the scaled shape (PostgreSQL + Redis): server RSS per
 * connection, time to connect them all, and server CPU at rest.
 *
 *   node bench/workloads/connections.mjs [--sizes 1000,5000,10000,20000,30000] [--workers W]
 *     [--scaled 30000 (0: none)] [--nodes 2] [--scaled-only]
 *     [--rest-seconds S] [--settle-seconds 5] [--concurrency 64] [--data-base /dev/shm]
 *     [--cpu-prof DIR (profiles each measured server)] [--quick]
 *
 * Accounts are registered once (one account with one device each, REST, in parallel from the load
 * generators) on a first server run; each size then gets a freshly started server on that same data
 * directory, so one size's garbage does not hide the next one's growth. The scaled scenario does the
 * same on its own PostgreSQL database: register through both nodes, restart both, connect half of
 * the connections to each (a deployment behind a load balancer).
 */
import { fork, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { numberFlag, runAsMain } from "../lib/main.mjs";
import { CLI_BIN, cpuMsOf, createDatabase, rssOf } from "../lib/server.mjs";
import { linearFit } from "../lib/stats.mjs";

export const description =
  "N idle authenticated gateway connections held by one `volly serve` process (embedded shape: SQLite, " +
  "in-process bus) started fresh for each N on a data directory where the accounts already exist (one " +
  "account and device per connection, registered over REST beforehand). Load-generator child processes " +
  "(each bound to its own loopback source address, 127.0.0.2…) open the connections with a bounded " +
  "number in flight: WebSocket upgrade, HELLO, IDENTIFY signed with the device's Ed25519 key, READY, " +
  "SYNCED; then they stay idle, sending a HEARTBEAT every heartbeat interval (30 s). connectSeconds is " +
  "the wall time until all N were SYNCED. After a settling pause the server's CPU (utime + stime from " +
  "/proc/<pid>/stat) is sampled over one heartbeat interval (% of one core), then its RSS (VmRSS) is " +
  "read: rssMiB is the absolute figure and rssPerConnKiB = (RSS with N connections − RSS of the same " +
  "fresh server before any connection) / N. A size is skipped when the server's file-descriptor limit " +
  'cannot hold N sockets (see the notes). Scenario "N on K nodes": the scaled shape, K `volly serve` ' +
  "processes sharing one PostgreSQL database and Redis, N / K connections on each (accounts registered " +
  "through all K nodes beforehand, then every node restarted fresh); rssBeforeMiB, rssMiB, rssPeakMiB " +
  "and restCpuPct are sums over the K processes, rssPerConnKiB = (Σ RSS with N − Σ fresh RSS) / N, and " +
  "rssMaxNodeMiB is the largest single node's RSS.";

export const units = {
  connected: "connections",
  connectSeconds: "s",
  connectsPerSec: "connections/s",
  rssBeforeMiB: "MiB",
  rssMiB: "MiB",
  rssPeakMiB: "MiB",
  rssPerConnKiB: "KiB",
  heapUsedMiB: "MiB",
  externalMiB: "MiB",
  rssMaxNodeMiB: "MiB",
  restCpuPct: "% of one core",
};

export const targets = [
  {
    // Two processes, because one cannot hold 30,000 sockets under a 20,000 open-file limit (see the
    // notes); the target is about the deployment, so its RSS is the sum over both nodes.
    scenario: "30000 on 2 nodes",
    metric: "rssMiB",
    op: "<=",
    value: 1024,
    label: "≥ 30,000 idle authenticated connections within 1 GiB RSS (2 nodes, RSS summed)",
  },
];

export const defaultRuns = 1;

const LOADGEN = resolve(import.meta.dirname, "../lib/gateway-loadgen.mjs");
/** File descriptors a server needs besides its sockets (SQLite, listening socket, stdio, epoll…). */
const FD_RESERVE = 200;
const MiB = 2 ** 20;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Server children still running, killed if this process is interrupted. */
const liveServers = new Set();

function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolvePort(port));
    });
  });
}

/**
 * Starts `volly serve` on `dataDir` and a free port; resolves once /healthz answers. `env` adds
 * environment (VOLLY_DATABASE_URL, VOLLY_REDIS_URL for the scaled shape). Counts the warn/error log
 * lines the server writes (`problems()`), so a run that degrades without failing is seen.
 */
async function startServer(dataDir, nodeArgs = [], env = {}) {
  const port = await freePort();
  const metricsPort = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, CLI_BIN, "serve"], {
    env: {
      ...process.env,
      VOLLY_PORT: String(port),
      VOLLY_HOST: "127.0.0.1",
      VOLLY_DATA_DIR: dataDir,
      VOLLY_LOG_LEVEL: "warn",
      // /metrics is served on a listener of its own (heapOf reads it).
      VOLLY_METRICS_PORT: String(metricsPort),
      // Every load generator registers from 127.0.0.1: lift the per-IP limit (authenticated
      // requests are limited per account, as in production).
      VOLLY_RATE_LIMIT_IP_MAX: "1000000000",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  liveServers.add(child);
  let tail = "";
  let partial = "";
  const problems = { count: 0, first: [] };
  const keep = (chunk) => {
    tail = (tail + chunk).slice(-8_000);
    const lines = (partial + chunk).split("\n");
    partial = lines.pop().slice(-8_000);
    for (const line of lines) {
      // pino: warn = 40, error = 50, fatal = 60; anything not JSON (a stack trace) counts too.
      const level = Number(/"level":(\d+)/.exec(line)?.[1] ?? (line.trim() ? 50 : 0));
      if (level < 40) continue;
      problems.count++;
      if (problems.first.length < 3) problems.first.push(line.slice(0, 400));
    }
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  let exitCode;
  const exited = new Promise((r) =>
    child.once("exit", (code, signal) => {
      exitCode = code ?? signal;
      liveServers.delete(child);
      r();
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exitCode !== undefined) throw new Error(`server exited with ${exitCode}:\n${tail}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {}
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`server did not start:\n${tail}`);
    }
    await sleep(100);
  }
  return {
    url,
    metricsUrl: `http://127.0.0.1:${metricsPort}`,
    pid: child.pid,
    tail: () => tail,
    problems: () => problems,
    alive: () => exitCode === undefined,
    async stop() {
      if (exitCode !== undefined) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * A server's V8 heap in use and its external memory (bytes), from its Prometheus metrics
 * (prom-client's nodejs_heap_size_used_bytes and nodejs_external_memory_bytes) on its metrics listener.
 */
async function heapOf(metricsUrl) {
  const text = await (await fetch(`${metricsUrl}/metrics`)).text();
  const value = (name) => Number(new RegExp(`^${name} (\\S+)`, "m").exec(text)?.[1] ?? Number.NaN);
  return { used: value("nodejs_heap_size_used_bytes"), external: value("nodejs_external_memory_bytes") };
}

/** The soft "Max open files" limit of a process. */
function fdLimitOf(pid) {
  const line = readFileSync(`/proc/${pid}/limits`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("Max open files"));
  return Number(line?.trim().split(/\s{2,}/)[1]);
}

/** Forks a load generator; `call(message)` resolves with its answer (one request at a time). */
function startLoadgen() {
  const child = fork(LOADGEN, [], { stdio: ["ignore", "ignore", "inherit", "ipc"] });
  let pending;
  child.on("message", (message) => {
    const p = pending;
    pending = undefined;
    if (!p) return;
    if (message.type === "error") p.reject(new Error(`load generator: ${message.error}`));
    else p.resolve(message);
  });
  child.once("exit", (code) => {
    pending?.reject(new Error(`load generator exited with ${code}`));
    pending = undefined;
  });
  return {
    call(message) {
      return new Promise((resolveCall, reject) => {
        pending = { resolve: resolveCall, reject };
        child.send(message);
      });
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
}

/** Splits `total` into `parts` near-equal integers. */
const split = (total, parts) =>
  Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));

/**
 * Connects N idle connections to the servers `start()` starts (fresh), split evenly over them; the
 * load generators are split into one equal slice per server (generator i serves server
 * ⌊i / (generators / servers)⌋, from source address `${addressBase}${2 + i}`). Sums RSS and CPU
 * over the servers.
 */
async function measure(N, { start, loadgens, addressBase, concurrency, settleSeconds, restSeconds }) {
  const servers = await start();
  try {
    if (loadgens.length % servers.length !== 0)
      throw new Error(
        `${loadgens.length} load generators do not split evenly over ${servers.length} servers`,
      );
    // Let start-up garbage go (V8's memory reducer runs a GC some seconds after activity stops).
    await sleep(settleSeconds * 2_000);
    const before = servers.map((s) => rssOf(s.pid));
    const perNode = loadgens.length / servers.length;
    const nodeShares = split(N, servers.length);
    const nodeOf = (i) => Math.floor(i / perNode);
    const startedAt = performance.now();
    const results = await Promise.all(
      loadgens.map((g, i) =>
        g.call({
          type: "connect",
          url: servers[nodeOf(i)].url,
          count: split(nodeShares[nodeOf(i)], perNode)[i % perNode],
          localAddress: `${addressBase}${2 + i}`,
          concurrency,
        }),
      ),
    );
    const connectMs = performance.now() - startedAt;
    const connected = results.reduce((a, r) => a + r.ok, 0);
    const failed = results.reduce((a, r) => a + r.failed, 0);
    const firstError = results.find((r) => r.error)?.error;
    const heartbeatMs = results.find((r) => r.heartbeatIntervalMs)?.heartbeatIntervalMs ?? 30_000;
    const rest = restSeconds ?? heartbeatMs / 1000;
    const where = servers.length > 1 ? ` on ${servers.length} nodes` : "";
    console.error(
      `connections: ${connected}/${N}${where} connected in ${(connectMs / 1000).toFixed(1)} s${failed ? ` (${failed} failed: ${firstError})` : ""}; resting ${settleSeconds + rest} s`,
    );
    await sleep(settleSeconds * 1000);
    const cpu0 = servers.map((s) => cpuMsOf(s.pid));
    const t0 = performance.now();
    await sleep(rest * 1000);
    const restMs = performance.now() - t0;
    const cpuPct = servers.map((s, k) => ((cpuMsOf(s.pid) - cpu0[k]) / restMs) * 100);
    const after = servers.map((s) => rssOf(s.pid));
    const heap = await Promise.all(servers.map((s) => heapOf(s.metricsUrl)));
    const usage = await Promise.all(loadgens.map((g) => g.call({ type: "usage" })));
    const stillOpen = usage.reduce((a, u) => a + u.open, 0);
    await Promise.all(loadgens.map((g) => g.call({ type: "close" })));
    for (const [k, s] of servers.entries())
      if (!s.alive()) throw new Error(`server ${k + 1} died with ${N}${where} connections:\n${s.tail()}`);
    const sum = (list, key) => list.reduce((a, x) => a + x[key], 0);
    const metrics = {
      connected,
      connectSeconds: Number((connectMs / 1000).toFixed(2)),
      connectsPerSec: Math.round(connected / (connectMs / 1000)),
      rssBeforeMiB: Number((sum(before, "rss") / MiB).toFixed(1)),
      rssMiB: Number((sum(after, "rss") / MiB).toFixed(1)),
      rssPeakMiB: Number((sum(after, "peak") / MiB).toFixed(1)),
      rssPerConnKiB: Number(((sum(after, "rss") - sum(before, "rss")) / connected / 1024).toFixed(2)),
    };
    metrics.heapUsedMiB = Number((sum(heap, "used") / MiB).toFixed(1));
    metrics.externalMiB = Number((sum(heap, "external") / MiB).toFixed(1));
    if (servers.length > 1)
      metrics.rssMaxNodeMiB = Number((Math.max(...after.map((a) => a.rss)) / MiB).toFixed(1));
    metrics.restCpuPct = Number(cpuPct.reduce((a, b) => a + b, 0).toFixed(2));
    const nodes = servers.map((s, k) => ({
      connected: results.filter((_, i) => nodeOf(i) === k).reduce((a, r) => a + r.ok, 0),
      rssBeforeMiB: before[k].rss / MiB,
      rssMiB: after[k].rss / MiB,
      restCpuPct: cpuPct[k],
      problems: s.problems(),
    }));
    return {
      metrics,
      nodes,
      failed,
      firstError,
      stillOpen,
      restSeconds: rest,
      loadgenRssMiB: usage.reduce((a, u) => a + u.rss, 0) / MiB,
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

/** Forks `count` load generators into `into` (so an interrupt can kill them). */
function forkLoadgens(count, into) {
  const list = Array.from({ length: count }, () => startLoadgen());
  into.push(...list);
  return list;
}

/**
 * Registers `total` accounts (one device each) through the load generators, generator i against
 * `urls[⌊i / (generators / urls)⌋]`, 16 in flight per generator; returns the seconds it took.
 */
async function registerAll(total, loadgens, urls) {
  const perUrl = loadgens.length / urls.length;
  const t = performance.now();
  await Promise.all(
    split(total, loadgens.length).map((count, i) =>
      loadgens[i].call({
        type: "register",
        url: urls[Math.floor(i / perUrl)],
        prefix: `load${i}-`,
        count,
        concurrency: 16,
      }),
    ),
  );
  return (performance.now() - t) / 1000;
}

/** Notes for a measured scenario: failures, connections lost, warn/error lines the servers logged. */
function scenarioNotes(name, r) {
  const notes = [];
  if (r.failed) notes.push(`${name}: ${r.failed} connections failed (first error: ${r.firstError}).`);
  if (r.stillOpen < r.metrics.connected)
    notes.push(
      `${name}: only ${r.stillOpen} of ${r.metrics.connected} connections were still open after the rest.`,
    );
  for (const [k, node] of r.nodes.entries()) {
    if (!node.problems.count) continue;
    const who = r.nodes.length > 1 ? `node ${k + 1}` : "the server";
    notes.push(
      `${name}: ${who} logged ${node.problems.count} warn/error lines while measured; first: ${node.problems.first.join(" | ")}`,
    );
  }
  return notes;
}

async function run(flags) {
  const quick = flags.quick === "true";
  const scaledOnly = flags["scaled-only"] === "true";
  const requested = scaledOnly
    ? []
    : (flags.sizes ?? (quick ? "200,1000" : "1000,5000,10000,20000,30000"))
        .split(",")
        .map(Number)
        .filter((n) => n > 0);
  const scaledN = numberFlag(flags, "scaled", quick ? 400 : 30_000);
  const nodeCount = numberFlag(flags, "nodes", 2);
  const settleSeconds = numberFlag(flags, "settle-seconds", quick ? 1 : 5);
  const restSeconds = flags["rest-seconds"] ? numberFlag(flags, "rest-seconds", 10) : quick ? 3 : undefined;
  const concurrency = numberFlag(flags, "concurrency", 64);
  const nodeArgs = flags["cpu-prof"] ? ["--cpu-prof", "--cpu-prof-dir", flags["cpu-prof"]] : [];
  const notes = [];
  const scenarios = {};
  const started = performance.now();
  const measureOptions = { concurrency, settleSeconds, restSeconds };

  // tmpfs when there is one: registering tens of thousands of accounts is otherwise bound by one
  // fsync per account (SQLite synchronous=FULL); nothing measured below writes to the store.
  const dataBase = flags["data-base"] ?? (existsSync("/dev/shm") ? "/dev/shm" : tmpdir());
  const dataDir = mkdtempSync(join(dataBase, "volly-bench-conn-"));
  const loadgens = [];
  let database;
  const interrupted = () => {
    for (const child of liveServers) child.kill("SIGKILL");
    for (const g of loadgens) g.kill();
    rmSync(dataDir, { recursive: true, force: true });
    const exit = () => process.exit(130);
    if (database) database.drop().then(exit, exit);
    else exit();
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
    // Which sizes fit under the server's file-descriptor limit (a child inherits ours)?
    const probe = await startServer(dataDir);
    const fdLimit = fdLimitOf(probe.pid);
    await probe.stop();
    const fits = (n) => n + FD_RESERVE <= fdLimit;
    const sizes = requested.filter(fits);
    const skipped = requested.filter((n) => !fits(n));
    if (skipped.length) {
      const largest = Math.floor((fdLimit - FD_RESERVE) / 1000) * 1000;
      if (largest > 0 && !sizes.includes(largest)) sizes.push(largest);
      notes.push(
        `Skipped ${skipped.map((n) => n.toLocaleString("en-US")).join(", ")} connections on one process: the ` +
          `server's open-file limit here is ${fdLimit.toLocaleString("en-US")} (Node raises its soft limit to ` +
          "the hard one, ulimit -Hn, which only a privileged parent can raise) and each socket is a file " +
          `descriptor; measured the largest round size that fits, ${largest.toLocaleString("en-US")}, instead.`,
      );
    }
    sizes.sort((a, b) => a - b);

    if (sizes.length) {
      const maxN = Math.max(...sizes);
      // One load generator per ≤ 8,000 connections (fd limit and ~28k ephemeral ports per source address).
      const workers = numberFlag(flags, "workers", Math.max(2, Math.ceil(maxN / 8_000)));
      const singleLoadgens = forkLoadgens(workers, loadgens);

      // Register maxN accounts (one device each) once, spread over the load generators.
      const server = await startServer(dataDir);
      try {
        const s = await registerAll(maxN, singleLoadgens, [server.url]);
        notes.push(
          `Setup: ${maxN.toLocaleString("en-US")} accounts (one device each) registered over REST ` +
            `(POST /v1/accounts: one Ed25519 proof-of-possession signature verified per account; no KDF ` +
            `or rate limit on the server) from ${workers} load generators in ${s.toFixed(0)} s ` +
            `(${Math.round(maxN / s)}/s; data directory under ${dataBase}, so not bound by fsync). ` +
            `Gateway authentication needs no REST session: IDENTIFY signs the HELLO nonce.`,
        );
        console.error(`connections: registered ${maxN} accounts in ${s.toFixed(1)} s`);
      } finally {
        await server.stop();
      }

      let largestResult;
      for (const N of sizes) {
        const r = await measure(N, {
          ...measureOptions,
          start: async () => [await startServer(dataDir, nodeArgs)],
          loadgens: singleLoadgens,
          addressBase: "127.0.0.",
        });
        scenarios[String(N)] = r.metrics;
        largestResult = { N, ...r };
        notes.push(...scenarioNotes(String(N), r));
      }
      const measured = Object.entries(scenarios).map(([n, m]) => [Number(n), m.rssMiB]);
      if (measured.length >= 2) {
        // Least-squares slope of RSS over N: the marginal cost of a connection, free of baseline noise.
        const { slope, intercept } = linearFit(
          measured.map(([n]) => n),
          measured.map(([, r]) => r),
        );
        notes.push(
          `One process: marginal RSS per connection (least-squares slope of rssMiB over ${measured.length} ` +
            `sizes): ${(slope * 1024).toFixed(1)} KiB; intercept ${intercept.toFixed(0)} MiB.`,
        );
      }
      if (largestResult && !scenarios["30000"]) {
        const { N, metrics } = largestResult;
        const projected = metrics.rssBeforeMiB + (metrics.rssPerConnKiB * 30_000) / 1024;
        notes.push(
          `One process, linear projection from ${N.toLocaleString("en-US")} connections: RSS at 30,000 ≈ ` +
            `${Math.round(projected)} MiB (${metrics.rssBeforeMiB} MiB fresh + ${metrics.rssPerConnKiB} KiB × 30,000).`,
        );
      }
      for (const g of singleLoadgens) g.kill();
    }

    if (scaledN > 0) {
      const name = `${scaledN} on ${nodeCount} nodes`;
      const perServer = Math.ceil(scaledN / nodeCount);
      if (!fits(perServer)) {
        notes.push(
          `Skipped ${name}: ${perServer.toLocaleString("en-US")} sockets per node do not fit the open-file ` +
            `limit of ${fdLimit.toLocaleString("en-US")}.`,
        );
      } else {
        // The scaled shape: K nodes on one PostgreSQL database (fresh for this run) and Redis.
        database = await createDatabase();
        const env = { VOLLY_DATABASE_URL: database.url, VOLLY_REDIS_URL: "redis://127.0.0.1:6379" };
        // Started one after the other: the first applies the migrations.
        const startNodes = async () => {
          const list = [];
          for (let k = 0; k < nodeCount; k++)
            list.push(await startServer(join(dataDir, `node${k + 1}`), nodeArgs, env));
          return list;
        };
        const perNode = Math.max(1, Math.ceil(perServer / 8_000));
        const scaledLoadgens = forkLoadgens(perNode * nodeCount, loadgens);
        const nodes = await startNodes();
        try {
          const s = await registerAll(
            scaledN,
            scaledLoadgens,
            nodes.map((n) => n.url),
          );
          notes.push(
            `${name}, setup: ${scaledN.toLocaleString("en-US")} accounts registered over REST through the ` +
              `${nodeCount} nodes into PostgreSQL from ${scaledLoadgens.length} load generators (16 in flight each) ` +
              `in ${s.toFixed(0)} s (${Math.round(scaledN / s)}/s).`,
          );
          console.error(
            `connections: registered ${scaledN} accounts on ${nodeCount} nodes in ${s.toFixed(1)} s`,
          );
          for (const [k, n] of nodes.entries())
            if (n.problems().count)
              notes.push(
                `${name}, setup: node ${k + 1} logged ${n.problems().count} warn/error lines; first: ${n.problems().first.join(" | ")}`,
              );
        } finally {
          await Promise.all(nodes.map((n) => n.stop()));
        }
        // Addresses 127.0.1.x: none of the single-process runs' sockets (TIME_WAIT) are in the way.
        const r = await measure(scaledN, {
          ...measureOptions,
          start: startNodes,
          loadgens: scaledLoadgens,
          addressBase: "127.0.1.",
        });
        scenarios[name] = r.metrics;
        notes.push(...scenarioNotes(name, r));
        const fmtMiB = (v) => v.toFixed(0);
        const singleSizes = Object.keys(scenarios).filter((k) => k !== name);
        const singleText = singleSizes.length
          ? `the single-process figures (${singleSizes.join(", ")}) are measured alongside`
          : "the single-process figures (up to the largest size that fits) are measured without --scaled-only";
        notes.push(
          `${name}: ${nodeCount} \`volly serve\` processes (scaled shape: one PostgreSQL database, Redis bus and ` +
            `rate-limit counters) rather than one, because one process cannot hold 30,000 sockets under this ` +
            `machine's open-file limit of ${fdLimit.toLocaleString("en-US")}; ${singleText}. Per node: ${r.nodes
              .map(
                (n, k) =>
                  `node ${k + 1} ${n.connected.toLocaleString("en-US")} connections, RSS ${fmtMiB(n.rssBeforeMiB)} → ` +
                  `${fmtMiB(n.rssMiB)} MiB, ${n.restCpuPct.toFixed(2)}% CPU at rest`,
              )
              .join("; ")}. ${scaledLoadgens.length} load generators (${perNode} per node); their RSS ` +
            `${Math.round(r.loadgenRssMiB)} MiB in all (not counted).`,
        );
        for (const g of scaledLoadgens) g.kill();
      }
    }

    const restText = restSeconds ? `${restSeconds} s` : "one heartbeat interval";
    notes.push(
      `Baseline RSS read ${2 * settleSeconds} s after the servers started; CPU at rest sampled over ${restText} ` +
        `after a ${settleSeconds} s pause; load-generator processes on the same machine. One run took ` +
        `${Math.round((performance.now() - started) / 1000)} s.`,
    );
  } finally {
    for (const g of loadgens) g.kill();
    rmSync(dataDir, { recursive: true, force: true });
    await database?.drop();
  }
  return { scenarios, notes };
}

runAsMain(import.meta.url, run);
