/**
 * Counters the fanout workload reads before and after a run to report the database and Redis work
 * per message: the servers' `volly_store_statements_total` (from their /metrics listeners), Redis's
 * `total_commands_processed` (INFO stats), and the CPU of the shared services' processes.
 */
import { readdirSync, readFileSync } from "node:fs";
import { Redis } from "ioredis";
import { cpuMsOf } from "./server.mjs";

/**
 * Sums `volly_store_statements_total` over the servers' metrics listeners.
 * @param {string[]} metricsUrls base URLs (`http://127.0.0.1:<VOLLY_METRICS_PORT>`)
 * @returns {Promise<number | undefined>} statements run so far (queries, savepoints, BEGIN and
 *   COMMIT); undefined when a server does not export the counter (a commit from before it existed)
 */
export async function storeStatements(metricsUrls) {
  let total = 0;
  for (const url of metricsUrls) {
    const text = await (await fetch(`${url}/metrics`)).text();
    const m = /^volly_store_statements_total (\d+(?:\.\d+)?(?:e\+\d+)?)$/m.exec(text);
    if (!m) return undefined;
    total += Number(m[1]);
  }
  return total;
}

/**
 * A Redis connection that reads the count of commands processed since Redis started (`INFO stats`
 * total_commands_processed). Each reading's INFO is counted in the next one.
 * @param {string} url default redis://127.0.0.1:6379
 * @returns {Promise<{ read(): Promise<number>, close(): void }>}
 */
export async function openRedisCommandCounter(url = "redis://127.0.0.1:6379") {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  return {
    read: async () => Number(/total_commands_processed:(\d+)/.exec(await redis.info("stats"))?.[1]),
    close: () => redis.disconnect(),
  };
}

/**
 * CPU time (user + system, ms) used so far by every process of the shared services whose command
 * name is in `names` (PostgreSQL's backends and background processes, redis-server), from /proc.
 * Processes that end between two readings take their time with them, so read it around a run in
 * which the set of backends stays the same (the servers' pools stay open).
 * @param {string[]} names command names (/proc/<pid>/comm), default postgres and redis-server
 * @returns {number}
 */
export function servicesCpuMs(names = ["postgres", "redis-server"]) {
  let total = 0;
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (names.includes(readFileSync(`/proc/${pid}/comm`, "utf8").trim())) total += cpuMsOf(pid);
    } catch {
      // the process ended while the list was read
    }
  }
  return total;
}
