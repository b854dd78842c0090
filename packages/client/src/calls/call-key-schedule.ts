/**
 * The key schedule of one call's SFrame keys over the conversation's MLS group (RFC 9605 §5.2):
 * the keys of the current epoch are fetched and installed; on every epoch change the new keys are
 * fetched and installed (they seal from then on) and the previous epoch's keys are retired a little
 * later, so frames still in flight (sealed by peers that switched a moment later) still open.
 *
 * Pure logic with injected functions and no Node built-ins: it runs in Node (the bot) and on a
 * browser's UI thread, where the SDK sits behind a worker RPC (import it from
 * `@volly/client/call-key-schedule` there, which loads nothing else).
 */
import type { SFrameMlsEpoch } from "@volly/crypto";

/** How long the previous epoch's keys stay after a re-key unless told otherwise (ms). */
export const RETIRE_PREVIOUS_EPOCH_AFTER_MS = 5_000;

/** What a {@link CallKeySchedule} does its work with. */
export interface CallKeyScheduleOptions {
  /** Fetches the call's keys of the conversation's current MLS epoch (e.g. `client.calls.mediaKeys(conversationId, callId)`). */
  fetchKeys(): Promise<SFrameMlsEpoch>;
  /** Installs an epoch's keys: frames are sealed with them from now on (e.g. `MlsSFrameContext.setEpoch`). */
  install(epoch: SFrameMlsEpoch): void | Promise<void>;
  /** Forgets the keys of epoch `epoch` (the MLS epoch number; e.g. `MlsSFrameContext.retireEpoch`). */
  retire(epoch: number): void | Promise<void>;
  /** How long the previous epoch's keys stay after a newer epoch was installed (ms, default {@link RETIRE_PREVIOUS_EPOCH_AFTER_MS}). */
  retireAfterMs?: number;
  /** Told what `fetchKeys`, `install` or `retire` threw during a refresh or a retirement (default: ignored). */
  onError?(error: unknown): void;
}

/**
 * One call's SFrame key schedule (RFC 9605 §5.2): {@link start} installs the current epoch's keys,
 * {@link refresh} (call it on every MLS epoch change of the call's conversation) installs a newer
 * epoch's keys and retires the previous epoch's `retireAfterMs` later, {@link dispose} stops it.
 *
 * Fetches never overlap: a refresh asked for while a fetch runs runs once after it (any number of
 * such requests coalesce into that one run). An epoch not newer than the installed one (a stale
 * answer, or no change) is ignored. Errors of a refresh or a retirement go to `onError`, never
 * out of a timer.
 */
export class CallKeySchedule {
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  /** The last queued step; it never rejects. */
  private tail: Promise<unknown> = Promise.resolve();
  /** The refresh queued behind the running step and not started yet (what further refreshes join). */
  private queued: Promise<void> | undefined;
  private installed: number | undefined;
  private disposed = false;

  constructor(private readonly options: CallKeyScheduleOptions) {}

  /** The MLS epoch whose keys were installed last (the one sealing frames now), if any. */
  get installedEpoch(): number | undefined {
    return this.installed;
  }

  /**
   * Fetches and installs the keys of the current epoch (after any step already running).
   *
   * @returns the fetched epoch (installed unless the schedule was disposed meanwhile or a newer
   *   epoch is already installed)
   * @throws what `fetchKeys` or `install` throws (e.g. VOLLY_E_NOT_GROUP_MEMBER); not given to `onError`
   */
  start(): Promise<SFrameMlsEpoch> {
    const step = this.tail.then(async () => {
      const epoch = await this.options.fetchKeys();
      await this.take(epoch);
      return epoch;
    });
    this.tail = step.catch(() => undefined);
    return step;
  }

  /**
   * The conversation's MLS epoch changed: fetches the keys again; when their epoch is newer than the
   * installed one, installs them and retires the previous epoch's `retireAfterMs` later. Joins a
   * refresh already queued; does nothing once disposed.
   *
   * @returns when this refresh's run is over; never rejects (errors go to `onError`)
   */
  refresh(): Promise<void> {
    if (this.disposed) return Promise.resolve();
    if (this.queued) return this.queued;
    const step = this.tail.then(async () => {
      this.queued = undefined;
      if (this.disposed) return;
      try {
        await this.take(await this.options.fetchKeys());
      } catch (error) {
        this.report(error);
      }
    });
    this.queued = step;
    this.tail = step;
    return step;
  }

  /** Stops the schedule: pending retirements are cancelled, later results are not installed. Idempotent. */
  dispose(): void {
    this.disposed = true;
    this.queued = undefined;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  /** Installs `epoch` when newer than the installed one and schedules the previous one's retirement. */
  private async take(epoch: SFrameMlsEpoch): Promise<void> {
    const previous = this.installed;
    if (this.disposed || (previous !== undefined && epoch.epoch <= previous)) return;
    await this.options.install(epoch);
    this.installed = epoch.epoch;
    if (previous !== undefined && !this.disposed) this.scheduleRetire(previous);
  }

  private scheduleRetire(epoch: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      try {
        Promise.resolve(this.options.retire(epoch)).catch((error: unknown) => this.report(error));
      } catch (error) {
        this.report(error);
      }
    }, this.options.retireAfterMs ?? RETIRE_PREVIOUS_EPOCH_AFTER_MS);
    this.timers.add(timer);
  }

  private report(error: unknown): void {
    try {
      this.options.onError?.(error);
    } catch {
      // an error handler's own failure has nowhere further to go
    }
  }
}
