/**
 * Samples what Volly's PostgreSQL connections are doing while a benchmark runs: every 20 ms,
 * pg_stat_activity of the connections named `volly` (application_name), until SIGINT or SIGTERM;
 * then prints, as JSON, the mean number of connections in each state|wait event type|wait
 * event|in-transaction, and how many samples had 0, 1, 2… connections waiting for an advisory lock
 * (the group commit's batch lock).
 *
 *   node bench/pg-activity.mjs > activity.json & node bench/workloads/fanout.mjs --shapes scaled-3; kill -INT %1
 *
 * VOLLY_TEST_DATABASE_URL names the server (default postgres://postgres@127.0.0.1:5432/postgres).
 */
import pg from "pg";

const SAMPLE_EVERY_MS = 20;

const client = new pg.Client({
  connectionString: process.env.VOLLY_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
});
await client.connect();
const states = new Map();
const advisoryWaiters = new Map();
let samples = 0;
let samplesInTransaction = 0;
let stop = false;
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => (stop = true));
while (!stop) {
  const { rows } = await client.query(
    `select state, coalesce(wait_event_type, '-') as wait_type, coalesce(wait_event, '-') as wait,
       xact_start is not null as in_transaction
     from pg_stat_activity where application_name = 'volly' and pid <> pg_backend_pid()`,
  );
  samples++;
  let waiting = 0;
  for (const r of rows) {
    const key = `${r.state}|${r.wait_type}|${r.wait}|${r.in_transaction}`;
    states.set(key, (states.get(key) ?? 0) + 1);
    if (r.wait === "advisory") waiting++;
  }
  if (rows.some((r) => r.in_transaction)) samplesInTransaction++;
  advisoryWaiters.set(waiting, (advisoryWaiters.get(waiting) ?? 0) + 1);
  await new Promise((resolve) => setTimeout(resolve, SAMPLE_EVERY_MS));
}
await client.end();
const mean = [...states].sort((a, b) => b[1] - a[1]).map(([k, n]) => [k, Number((n / samples).toFixed(3))]);
console.log(
  JSON.stringify(
    {
      samples,
      samplesInTransaction,
      advisoryWaiters: Object.fromEntries(advisoryWaiters),
      meanConnections: Object.fromEntries(mean),
    },
    null,
    1,
  ),
);
