/**
 * Starts and stops real `volly serve` processes for benchmarks, and reads their resource use from
 * /proc (Linux).
 */

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import pg from "pg";

/** The `volly` CLI the benchmarks start (VOLLY_CLI_BIN overrides it: bench/compare-commits.sh). */
export const CLI_BIN =
  process.env.VOLLY_CLI_BIN ?? resolve(import.meta.dirname, "../../packages/cli/dist/bin.js");

/**
 * Starts `volly serve` on a free loopback port with a fresh data directory.
 * @param options.env extra environment (VOLLY_DATABASE_URL, VOLLY_REDIS_URL for the scaled shape)
 * @param options.nodeArgs extra Node flags (e.g. --cpu-prof)
 * @param options.host the loopback address to listen on (default 127.0.0.1)
 * @param options.port the port (default 0: a free one)
 * @returns {{url, pid, child, stop(): Promise<void>}}
 */
export async function startVolly({ env = {}, nodeArgs = [], host = "127.0.0.1", port = 0 } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), "volly-bench-"));
  const child = spawn(
    process.execPath,
    [...nodeArgs, CLI_BIN, "serve", "--port", String(port), "--host", host, "--data", dataDir],
    {
      // The load generator registers every member from 127.0.0.1: lift the per-IP rate limit
      // (authenticated requests keep the per-account limit, as in production).
      env: { ...process.env, VOLLY_LOG_LEVEL: "info", VOLLY_RATE_LIMIT_IP_MAX: "1000000000", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const exited = new Promise((r) => child.once("exit", r));
  let head = "";
  const url = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${head}`)), 30_000);
    const onData = (chunk) => {
      if (head.length < 20_000) head += chunk.toString();
      const m = /"url":"(http:\/\/[^"]+)"/.exec(head);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${head}`));
    });
  });
  return {
    url,
    pid: child.pid,
    child,
    async stop() {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts the fanout ceiling (`raw-relay.mjs`: a plain ws relay, no authentication, storage or
 * crypto) on a free loopback port.
 * @param options.nodeArgs extra Node flags (e.g. --cpu-prof)
 * @returns {{url, pid, stop(): Promise<void>}}
 */
export async function startRawRelay({ nodeArgs = [] } = {}) {
  const child = spawn(process.execPath, [...nodeArgs, resolve(import.meta.dirname, "raw-relay.mjs")], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise((r) => child.once("exit", r));
  const url = await new Promise((resolveUrl, reject) => {
    let head = "";
    child.stdout.on("data", (chunk) => {
      head += chunk.toString();
      const m = /"url":"(http:\/\/[^"]+)"/.exec(head);
      if (m) resolveUrl(m[1]);
    });
    child.once("exit", (code) => reject(new Error(`raw relay exited with ${code}`)));
  });
  return {
    url,
    pid: child.pid,
    async stop() {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resident set size of a process now (VmRSS), at its peak (VmHWM), and VmRSS's anonymous and file-backed parts (RssAnon, RssFile), in bytes. */
export function rssOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb("VmRSS"), peak: kb("VmHWM"), anon: kb("RssAnon"), file: kb("RssFile") };
}

/** CPU time (user + system) a process has used so far, in ms. */
export function cpuMsOf(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  // utime and stime are fields 14 and 15 of /proc/pid/stat (1-based), in clock ticks (100 Hz).
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/**
 * Write system calls (write, writev, sendmsg…) process `pid` has made so far: `syscw` of
 * /proc/pid/io. Each is one trip of a socket's buffered frames to the kernel.
 *
 * @param {number} pid
 * @returns {number}
 */
export function writeCallsOf(pid) {
  const line = readFileSync(`/proc/${pid}/io`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("syscw:"));
  return Number(line?.slice("syscw:".length).trim() ?? 0);
}

const PG_ADMIN_URL = process.env.VOLLY_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** Creates an empty PostgreSQL database for one run; `drop()` removes it. */
export async function createDatabase() {
  const name = `volly_bench_${Math.random().toString(16).slice(2, 10)}`;
  const admin = async (sql) => {
    const client = new pg.Client({ connectionString: PG_ADMIN_URL });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE "${name}" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

/**
 * A free TCP port on `host` (bound and released at once).
 * @param {string} host a loopback address
 * @returns {Promise<number>}
 */
export function freePort(host) {
  return new Promise((resolvePort, reject) => {
    const probe = createNetServer();
    probe.once("error", reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}

/**
 * Starts three federated servers on 127.0.0.2, 127.0.0.3 and 127.0.0.4, each with its own SQLite
 * store and public URL (federation on), for workloads whose groups span servers.
 * @param {{env?: Record<string,string>, nodeArgs?: string[]}} options
 * @returns {Promise<{servers: Array<{url: string, name: string, pid: number, stop(): Promise<void>}>, stop(): Promise<void>}>}
 */
export async function startFederation({ env = {}, nodeArgs = [] } = {}) {
  const servers = [];
  for (const host of ["127.0.0.2", "127.0.0.3", "127.0.0.4"]) {
    const port = await freePort(host);
    const url = `http://${host}:${port}`;
    const server = await startVolly({
      host,
      port,
      nodeArgs,
      env: { VOLLY_PUBLIC_URL: url, VOLLY_FEDERATION_REQUESTS_PER_MINUTE: "1000000", ...env },
    });
    servers.push({ ...server, name: `${host}:${port}` });
  }
  return { servers, stop: () => Promise.all(servers.map((s) => s.stop())).then(() => undefined) };
}
