/** Lets Node exit while only this timer is pending (no-op in browsers). */
export function unrefTimer(timer: unknown): void {
  (timer as { unref?: () => void } | undefined)?.unref?.();
}

/**
 * A retry timer with exponential backoff: `schedule(run)` runs `run` after the current delay
 * (doubling from `minMs` up to `maxMs` at each schedule), at most one pending at a time;
 * `reset()` goes back to `minMs` after a success; `dispose()` cancels for good. The timer is
 * unref'd, so it never keeps Node alive.
 */
export class RetryBackoff {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private delay: number;
  private disposed = false;

  /** @param minMs first delay (ms) @param maxMs longest delay (ms) */
  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
  ) {
    this.delay = minMs;
  }

  /** Runs `run` once after the current delay, unless one is pending or this was disposed. */
  schedule(run: () => void): void {
    if (this.disposed || this.timer !== undefined) return;
    const delay = this.delay;
    this.delay = Math.min(this.maxMs, this.delay * 2);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      run();
    }, delay);
    unrefTimer(this.timer);
  }

  /** The next delay is `minMs` again (after a success). */
  reset(): void {
    this.delay = this.minMs;
  }

  /** Cancels the pending run; later schedules do nothing. */
  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
  }
}
