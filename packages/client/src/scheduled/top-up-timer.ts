/** The longest delay `setTimeout` keeps (ms, 2^31 − 1); a later wake-up is re-armed from there. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * One pending wake-up at a given time (ms since the Unix epoch) that runs `wake` then, unless it
 * is re-armed or disposed first. The timer is unref'd, so it never keeps a Node process alive.
 * {@link ScheduledService} arms it for the next time one of the occurrences it knows goes out, so a
 * running device tops a series up as time passes, whichever device of the account held the
 * occurrence (the server never delivers a device's own log entries back to it, so the released
 * occurrences alone do not tell the device that sent them).
 */
export class TopUpTimer {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;

  /** @param wake called once the armed time has passed (not after {@link dispose}) */
  constructor(private readonly wake: () => void) {}

  /** Runs `wake` at `at` (ms since the epoch; now if already past), replacing any earlier arming. */
  arm(at: number): void {
    this.clear();
    if (this.disposed) return;
    const delay = Math.max(0, at - Date.now());
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        if (delay > MAX_TIMER_MS) this.arm(at);
        else if (!this.disposed) this.wake();
      },
      Math.min(delay, MAX_TIMER_MS),
    );
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** Cancels the pending wake-up, if any. */
  clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Cancels the pending wake-up for good: later {@link arm} calls do nothing. */
  dispose(): void {
    this.disposed = true;
    this.clear();
  }
}
