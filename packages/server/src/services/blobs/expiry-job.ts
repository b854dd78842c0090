import { describeError } from "../../describe-error.js";
import type { Store } from "../../store/types.js";
import { type PeriodicJob, periodicJob } from "../periodic-job.js";
import type { BlobFiles } from "./blob-files.js";
import { finishRemoval } from "./blob-removal.js";

/** What {@link createBlobExpiryJob} needs. */
export interface BlobExpiryJobOptions {
  store: Store;
  files: BlobFiles;
  /** The clock (ms since the Unix epoch). */
  now: () => number;
  /** Messages older than this (ms) are past retention: the blobs only they point at go. */
  retentionMs: number;
  /** How long an upload may stay unfinished (ms); files in the uploads directory no row knows go after it too. */
  uploadExpiryMs: number;
  /** Time between runs (ms). */
  intervalMs: number;
  /** Rows per statement. Default 500. */
  batchSize?: number;
  /** Where the one line per run goes (counts only, never ids). */
  log: { info(fields: object, msg: string): void; error(fields: object, msg: string): void };
}

/** What one run removed. */
export interface BlobExpiryCounts {
  /** Message→blob references past retention. */
  references: number;
  /** Complete blobs removed (no message points at them any more, never sent in time, group emptied). */
  blobs: number;
  /** Unfinished uploads past their expiry, and leftover upload files no row knows. */
  uploads: number;
}

/** The periodic clean-up of blobs and uploads (see {@link createBlobExpiryJob}). */
export type BlobExpiryJob = PeriodicJob<BlobExpiryCounts>;

/**
 * Builds the blob expiry job. Each run: forgets message→blob references older than the retention
 * period; marks "removed" the blobs no message points at any more, those never sent within
 * `uploadExpiryMs` of completing, and those whose group has no current member (its channel or
 * community was deleted, or everyone left); deletes unfinished uploads past their expiry (row, bytes
 * and tus metadata) and upload files no row knows that are older than the expiry (a node died
 * between its steps); then deletes the files and rows of every "removed" blob. Several nodes may run
 * it at once over the shared blob directory: every state change is conditional and a missing file
 * is fine.
 */
export function createBlobExpiryJob(options: BlobExpiryJobOptions): BlobExpiryJob {
  const { store, files, now, retentionMs, uploadExpiryMs, intervalMs, log } = options;
  const batch = options.batchSize ?? 500;

  async function runOnce(stopped: () => boolean): Promise<BlobExpiryCounts> {
    const at = now();
    const counts: BlobExpiryCounts = { references: 0, blobs: 0, uploads: 0 };
    for (;;) {
      const n = await store.blobs.releaseOlderThan(at - retentionMs, batch);
      counts.references += n;
      if (n < batch || stopped()) break;
    }
    await store.blobs.removeMemberless(batch);
    await store.blobs.expireUnsent(at, batch);
    for (;;) {
      const expired = await store.blobs.deleteExpiredUploads(at, batch);
      for (const upload of expired) await files.removeUpload(upload.id);
      counts.uploads += expired.length;
      if (expired.length < batch || stopped()) break;
    }
    for (const id of await files.staleUploads(at - uploadExpiryMs)) {
      if (await store.blobs.findUpload(id)) continue;
      await files.removeUpload(id);
      counts.uploads++;
    }
    for (;;) {
      const removed = await store.blobs.listRemoved(batch);
      counts.blobs += await finishRemoval(store, files, removed);
      if (removed.length < batch || stopped()) break;
    }
    if (counts.references + counts.blobs + counts.uploads > 0) log.info({ ...counts }, "blobs expired");
    return counts;
  }

  return periodicJob(runOnce, intervalMs, (error) =>
    log.error({ err: describeError(error) }, "blob expiry run failed"),
  );
}
