import { retryClass, VollyError } from "@volly/protocol";
import { describeError } from "../../describe-error.js";
import type { Store } from "../../store/types.js";
import type { MessageAppender } from "../delivery/send.js";
import { type PeriodicJob, periodicJob } from "../periodic-job.js";

/** What {@link createReleaseJob} needs. */
export interface ReleaseJobOptions {
  store: Store;
  /** Appends released messages through the normal send path (checks, seq, fanout, quotas). */
  delivery: MessageAppender;
  /** The clock (ms since the Unix epoch). */
  now: () => number;
  /** Time between looks for due messages (ms). */
  intervalMs: number;
  /**
   * A claim older than this (ms) is taken to belong to a node that died mid-release and is taken
   * over; the log's idempotency by message id keeps the second append from duplicating. Default
   * {@link DEFAULT_CLAIM_LEASE_MS}.
   */
  leaseMs?: number;
  /** Where failures go (ids and codes only, never content). */
  log: { info(fields: object, msg: string): void; error(fields: object, msg: string): void };
}

/** Default {@link ReleaseJobOptions.leaseMs}: 60 s. */
export const DEFAULT_CLAIM_LEASE_MS = 60_000;
/** Due messages one run claims at most. */
const BATCH = 100;

/** The periodic release of scheduled messages (see {@link createReleaseJob}). */
export type ReleaseJob = PeriodicJob<number>;

/**
 * Builds the release job. Each run lists due messages, claims each with one conditional UPDATE (so
 * with N nodes exactly one releases it), and appends it as the device that scheduled (or last
 * re-encrypted) it, with that device's account as the sender — the same call a SEND makes, so
 * membership, community permissions (SEND_MESSAGES, declarations) and quotas are checked at
 * release time. Released: the row is deleted. Refused for good (retry class "never": the device
 * left the group, lost the permission, was revoked): the row keeps the error code as `failure`,
 * which the account sees in its list. Anything else (the database busy): the claim is released and
 * the next run tries again. Nothing is kept in memory, so a restart loses nothing.
 */
export function createReleaseJob(options: ReleaseJobOptions): ReleaseJob {
  const { store, delivery, now, intervalMs, log } = options;
  const leaseMs = options.leaseMs ?? DEFAULT_CLAIM_LEASE_MS;

  async function releaseOne(messageId: string): Promise<boolean> {
    const at = now();
    if (!(await store.scheduled.claim(messageId, at, at - leaseMs))) return false;
    const record = await store.scheduled.get(messageId);
    if (!record) return false;
    try {
      const device = await store.devices.findById(record.deviceId);
      if (!device) throw new VollyError("VOLLY_E_UNKNOWN_DEVICE");
      await delivery.sendMessage(
        record.deviceId,
        record.groupId,
        {
          messageId: record.messageId,
          epoch: record.epoch,
          ciphertext: record.ciphertext,
          ...(record.declares ? { declares: record.declares } : {}),
        },
        { accountId: device.accountId, handle: device.handle },
      );
      await store.scheduled.remove(messageId);
      return true;
    } catch (error) {
      if (error instanceof VollyError && retryClass(error) === "never") {
        log.info({ messageId, code: error.code }, "scheduled message refused at release");
        await store.scheduled.fail(messageId, error.code);
        return false;
      }
      log.error({ messageId, err: describeError(error) }, "scheduled message release failed; retrying");
      await store.scheduled.unclaim(messageId);
      return false;
    }
  }

  async function runOnce(stopped: () => boolean): Promise<number> {
    const at = now();
    const due = await store.scheduled.due(at, at - leaseMs, BATCH);
    let released = 0;
    for (const id of due) {
      if (stopped()) break;
      const ok = await releaseOne(id).catch((error: unknown) => {
        log.error({ messageId: id, err: describeError(error) }, "scheduled message claim failed");
        return false;
      });
      if (ok) released++;
    }
    return released;
  }

  return periodicJob(runOnce, intervalMs, (error) =>
    log.error({ err: describeError(error) }, "scheduled release run failed"),
  );
}
