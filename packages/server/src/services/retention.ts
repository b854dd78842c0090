import type { PruneCounts, Store } from "../store/types.js";

/** What {@link createRetentionJob} needs. */
export interface RetentionJobOptions {
  store: Store;
  /** The clock (ms since the Unix epoch). */
  now: () => number;
  /** Undelivered entries and Welcomes older than this (ms) are deleted regardless. */
  retentionMs: number;
  /** Time between runs (ms). */
  intervalMs: number;
  /** Where the one line per run goes (counts only, never content or ids). */
  log: { info(fields: object, msg: string): void; error(fields: object, msg: string): void };
}

/** The delivery service's periodic pruning (see {@link createRetentionJob}). */
export interface RetentionJob {
  /**
   * Prunes once now: log entries every device still reading the group has acknowledged, everything
   * older than the retention period, acknowledged and expired Welcomes, and ratchet trees /
   * GroupInfos of past epochs no pending Welcome needs (the latest are kept). Logs one line
   * `{"msg":"pruned","acked":…,"expired":…,"welcomes":…,"epochs":…,"ms":…}`.
   */
  runOnce(): Promise<PruneCounts>;
  /** Starts running every `intervalMs` (unref'd timer: it never keeps the process alive). */
  start(): void;
  /** Stops the timer and waits for a run in progress. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Builds the retention job of the delivery service. A device whose cursor is behind pruned entries
 * is still served: its backlog starts at the oldest remaining entry, and the client's seq-gap
 * handling decides what to do (an MLS commit it missed makes it resync by external commit).
 */
export function createRetentionJob(options: RetentionJobOptions): RetentionJob {
  const { store, now, retentionMs, intervalMs, log } = options;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  const job: RetentionJob = {
    async runOnce() {
      const started = now();
      const counts = await store.retention.prune(started - retentionMs);
      log.info({ ...counts, ms: now() - started }, "pruned");
      return counts;
    },
    start() {
      if (timer) return;
      timer = setInterval(() => {
        if (running) return;
        running = job
          .runOnce()
          .catch((error: unknown) =>
            log.error({ err: error instanceof Error ? error.message : String(error) }, "pruning failed"),
          )
          .finally(() => {
            running = undefined;
          });
      }, intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
  return job;
}
