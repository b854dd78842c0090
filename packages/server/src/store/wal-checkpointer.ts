import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/** How often the background checkpointer copies the WAL back into the database (ms). */
export const CHECKPOINT_INTERVAL_MS = 100;

/**
 * The worker's code (CommonJS, run with `eval`): its own better-sqlite3 connection to the same
 * file, a PASSIVE checkpoint every interval (it never blocks the writer), until told to stop.
 * PASSIVE copies what is committed and fsyncs the database file; the writer restarts the WAL from
 * its beginning once everything was copied, so the file stays small.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const describe = (error) => String((error && error.message) || error);
let db;
try {
  const Database = require(workerData.driver);
  db = new Database(workerData.file, { fileMustExist: true });
  db.pragma("busy_timeout = 0");
} catch (error) {
  parentPort.postMessage({ error: describe(error) });
  process.exit(1);
}
let stopped = false;
const tick = () => {
  if (stopped) return;
  try {
    db.pragma("wal_checkpoint(PASSIVE)");
  } catch (error) {
    parentPort.postMessage({ error: describe(error) });
  }
  setTimeout(tick, workerData.intervalMs);
};
setTimeout(tick, workerData.intervalMs);
parentPort.on("message", () => {
  stopped = true;
  db.close();
  parentPort.postMessage({ stopped: true });
});
`;

/** A running background checkpointer (see {@link startWalCheckpointer}). */
export interface WalCheckpointer {
  /** Stops the worker after its current checkpoint; resolves once its connection is closed. */
  stop(): Promise<void>;
}

/**
 * Moves SQLite's WAL checkpoints off the main thread: with `synchronous=FULL` every commit already
 * fsyncs the WAL (that is what makes an acknowledged message durable), and by default the commit
 * that fills the WAL past 1,000 pages also copies it into the database file and fsyncs that, on the
 * event loop — a stall of milliseconds that every message in flight waits out. A worker thread with
 * its own connection checkpoints every {@link CHECKPOINT_INTERVAL_MS} instead (PASSIVE: it never
 * waits for or blocks the writer). SQLite's automatic checkpoint stays on as the fallback, and
 * rarely finds anything left to copy.
 *
 * @param file the database file (WAL mode; it must exist)
 * @param onError called with the message of a failed checkpoint (the worker keeps going)
 */
export function startWalCheckpointer(
  file: string,
  onError: (message: string) => void = () => {},
  intervalMs = CHECKPOINT_INTERVAL_MS,
): WalCheckpointer {
  const driver = createRequire(import.meta.url).resolve("better-sqlite3");
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, driver, intervalMs } });
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  worker.on("message", (message: { error?: string }) => {
    if (message.error) onError(message.error);
  });
  worker.on("error", (error: unknown) => onError(String((error as Error)?.message ?? error)));
  let stopped: Promise<void> | undefined;
  return {
    stop() {
      stopped ??= (async () => {
        worker.postMessage("stop");
        // The worker closes its connection and says so; a worker that died or hangs is terminated.
        const said = new Promise<void>((resolve) =>
          worker.on("message", (message: { stopped?: boolean }) => {
            if (message.stopped) resolve();
          }),
        );
        let timer: ReturnType<typeof setTimeout> | undefined;
        const late = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, 2_000);
        });
        await Promise.race([said, exited, late]);
        clearTimeout(timer);
        await worker.terminate();
      })();
      return stopped;
    },
  };
}
