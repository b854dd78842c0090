/**
 * Counters the fanout workload reads before and after a run to report the database and Redis work
 * per message: the servers' `volly_store_statements_total` (from their /metrics listeners) and
 * Redis's `total_commands_processed` (INFO stats).
 */
import { readdirSync, readFileSync } from "node:fs";
import { connect } from "node:net";

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
 * Redis's count of commands processed since it started (`INFO stats` total_commands_processed),
 * read over a plain RESP connection; the INFO command itself is included in the next reading.
 * @param {string} host default 127.0.0.1
 * @param {number} port default 6379
 * @returns {Promise<number>}
 */
export function redisCommandsProcessed(host = "127.0.0.1", port = 6379) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host, () => socket.write("*2\r\n$4\r\nINFO\r\n$5\r\nstats\r\n"));
    let text = "";
    socket.on("data", (chunk) => {
      text += chunk.toString("latin1");
      const m = /total_commands_processed:(\d+)/.exec(text);
      if (m) {
        socket.destroy();
        resolve(Number(m[1]));
      }
    });
    socket.once("error", reject);
  });
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
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      if (!names.includes(comm)) continue;
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      total += ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
    } catch {
      // the process ended while the list was read
    }
  }
  return total;
}
