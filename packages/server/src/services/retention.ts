import type { RetentionGroup, Store } from "../store/types.js";
import { prunableRanges } from "./prunable-ranges.js";

/** What one pruning run deleted. */
export interface PruneCounts {
  /** Log entries every device that can read them had acknowledged (entries read by no one included). */
  acked: number;
  /** Log entries older than the retention period, acknowledged or not. */
  expired: number;
  /** Welcomes acknowledged, or older than the retention period (inbox entries). */
  welcomes: number;
  /** Ratchet trees and GroupInfos of past epochs no pending Welcome needs. */
  epochs: number;
  /** Key packages already claimed (never handed out again). */
  keyPackages: number;
}

/** What {@link createRetentionJob} needs. */
export interface RetentionJobOptions {
  store: Store;
  /** The clock (ms since the Unix epoch). */
  now: () => number;
  /** Undelivered entries and Welcomes older than this (ms) are deleted regardless. */
  retentionMs: number;
  /** Time between runs (ms). */
  intervalMs: number;
  /**
   * Acknowledged entries younger than this (ms) are kept, so a send or commit retried after a lost
   * answer still finds its original (and gets the original seq, not a second copy). Default
   * {@link DEFAULT_PRUNE_GRACE_MS}.
   */
  graceMs?: number;
  /** Log entries (seqs) per DELETE statement, Welcomes per batch, groups per page. Default 1,000. */
  batchSize?: number;
  /** Where the one line per run goes (counts only, never content or ids). */
  log: { info(fields: object, msg: string): void; error(fields: object, msg: string): void };
}

/** Default {@link RetentionJobOptions.graceMs}: 10 minutes, well past the SDK's send and reconnect retries. */
export const DEFAULT_PRUNE_GRACE_MS = 10 * 60 * 1000;

/** The delivery service's periodic pruning (see {@link createRetentionJob}). */
export interface RetentionJob {
  /**
   * Prunes once now: log entries every device that can read them has acknowledged (a device never
   * reads its own entries, so what a device alone in its group sends goes at the first run past the
   * grace period), everything older than the retention period, acknowledged and expired Welcomes,
   * ratchet trees / GroupInfos of past epochs no pending Welcome needs (the latest are kept), claimed
   * key packages and idle rate-limit rows. Every deletion credits the bytes back to the quotas of
   * the group and the account that stored them. Logs one line
   * `{"msg":"pruned","acked":…,"expired":…,"welcomes":…,"epochs":…,"keyPackages":…,"ms":…}`.
   */
  runOnce(): Promise<PruneCounts>;
  /** Starts running every `intervalMs` (unref'd timer: it never keeps the process alive). */
  start(): void;
  /** Stops the timer and waits for a run in progress. Idempotent. */
  stop(): Promise<void>;
}

/** Groups a memo of the job remembers at most (then it starts over). */
const MEMO_LIMIT = 100_000;

/** Lets the event loop serve requests between statements (better-sqlite3 runs them synchronously). */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Builds the retention job of the delivery service. A device whose cursor is behind pruned entries
 * is still served: its backlog starts at the oldest remaining entry, and the client's seq-gap
 * handling decides what to do (an MLS commit it missed makes it resync by external commit).
 *
 * It does not scan the log: it visits only groups that may hold entries (`last_seq > pruned_seq`),
 * reads their memberships and cursors, works out which seq ranges are done (`prunableRanges`), and
 * deletes those by primary-key range, `batchSize` seqs per statement, each statement in its own
 * transaction with its quota credit, yielding to the event loop in between. Entries kept only
 * because of one device's entries-to-read are not read again by the next run (it remembers how far
 * it got). Several nodes may run it at once: deletions credit only the rows they removed.
 */
export function createRetentionJob(options: RetentionJobOptions): RetentionJob {
  const { store, now, retentionMs, intervalMs, log } = options;
  const graceMs = options.graceMs ?? DEFAULT_PRUNE_GRACE_MS;
  const batch = options.batchSize ?? 1000;
  /**
   * Per group, per range pruned for one sender only (key `sender|afterSeq`): the seq it was pruned up
   * to. Those entries of other senders stay, so the next run starts after it instead of reading them
   * again. A memo only: losing it (restart, another node) costs a re-read, never a wrong deletion.
   */
  const senderPruned = new Map<string, Map<string, number>>();
  /** Per group: the epoch its trees and GroupInfos were last pruned at (a memo, like senderPruned). */
  const epochsPruned = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;

  /** Deletes the range's entries in statements of at most `batch` seqs; returns how many went. */
  async function deleteRange(
    groupId: string,
    afterSeq: number,
    upToSeq: number,
    filter: { sender?: string; createdBefore?: number },
  ): Promise<number> {
    let deleted = 0;
    for (let from = afterSeq; from < upToSeq; from += batch) {
      const range = { groupId, afterSeq: from, upToSeq: Math.min(upToSeq, from + batch), ...filter };
      deleted += await store.transaction((tx) => tx.retention.deleteEntries(range));
      await yieldToEventLoop();
    }
    return deleted;
  }

  async function pruneLog(group: RetentionGroup, started: number, counts: PruneCounts): Promise<void> {
    const { id, prunedSeq, lastSeq } = group;
    // Acknowledged entries, up to the last one past the grace period (created at or before its start).
    const young = await store.retention.lowestSeq(id, prunedSeq, started - graceMs + 1);
    const ackUpTo = Math.min(lastSeq, (young ?? Number.POSITIVE_INFINITY) - 1);
    const readers = await store.retention.readers(id);
    const before = senderPruned.get(id);
    const done = new Map<string, number>();
    for (const r of prunableRanges(readers, prunedSeq, ackUpTo)) {
      if (r.sender === undefined) {
        counts.acked += await deleteRange(id, r.afterSeq, r.upToSeq, {});
        continue;
      }
      const key = `${r.sender}|${r.afterSeq}`;
      const from = Math.max(r.afterSeq, Math.min(before?.get(key) ?? r.afterSeq, r.upToSeq));
      counts.acked += await deleteRange(id, from, r.upToSeq, { sender: r.sender });
      done.set(key, r.upToSeq);
    }
    if (done.size > 0) {
      if (senderPruned.size >= MEMO_LIMIT) senderPruned.clear();
      senderPruned.set(id, done);
    } else senderPruned.delete(id);
    // Expired entries: from the oldest up to the first one inside the retention period.
    const expireBefore = started - retentionMs;
    const kept = await store.retention.lowestSeq(id, prunedSeq, expireBefore);
    const expiredUpTo = Math.min(lastSeq, (kept ?? Number.POSITIVE_INFINITY) - 1);
    if (expiredUpTo > prunedSeq) {
      counts.expired += await deleteRange(id, prunedSeq, expiredUpTo, { createdBefore: expireBefore });
    }
    const lowest = await store.retention.lowestSeq(id, prunedSeq);
    const floor = lowest === undefined ? lastSeq : lowest - 1;
    if (floor > prunedSeq) await store.retention.raisePrunedSeq(id, floor);
  }

  async function pruneEpochs(groupId: string, epoch: number, counts: PruneCounts): Promise<void> {
    if (epochsPruned.get(groupId) === epoch) return;
    counts.epochs += await store.transaction((tx) => tx.retention.pruneEpochs(groupId, epoch));
    if (epochsPruned.size >= MEMO_LIMIT) epochsPruned.clear();
    epochsPruned.set(groupId, epoch);
  }

  const job: RetentionJob = {
    async runOnce() {
      const started = now();
      const counts: PruneCounts = { acked: 0, expired: 0, welcomes: 0, epochs: 0, keyPackages: 0 };
      // Welcomes first: the groups whose Welcomes went may have trees no one needs any more.
      const touched = new Set<string>();
      for (;;) {
        const { deleted, groupIds } = await store.transaction((tx) =>
          tx.retention.deleteWelcomes(started - retentionMs, batch),
        );
        counts.welcomes += deleted;
        for (const id of groupIds) {
          touched.add(id);
          epochsPruned.delete(id);
        }
        await yieldToEventLoop();
        if (deleted < batch) break;
      }
      for (let after = ""; ; ) {
        const page = await store.retention.groupsToPrune(after, batch);
        for (const group of page) {
          await pruneLog(group, started, counts);
          await pruneEpochs(group.id, group.epoch, counts);
          touched.delete(group.id);
          await yieldToEventLoop();
        }
        const last = page.at(-1);
        if (!last || page.length < batch) break;
        after = last.id;
      }
      for (const id of touched) {
        const group = await store.groups.find(id);
        if (group) await pruneEpochs(id, group.epoch, counts);
      }
      counts.keyPackages = await store.retention.deleteClaimedKeyPackages(started);
      await store.rateLimits.purge(started);
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
