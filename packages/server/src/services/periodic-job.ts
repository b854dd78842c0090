/** A background job run every so often (the scheduled-message release, the blob expiry). */
export interface PeriodicJob<T> {
  /** Runs once now. */
  runOnce(): Promise<T>;
  /** Starts running: once at once, then `intervalMs` after each run ends (unref'd timer). */
  start(): void;
  /** Stops the timer and waits for a run in progress. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Wraps one run of a job into a {@link PeriodicJob}: runs never overlap (the next is timed from the
 * end of the last), a failed run goes to `onError` and the next one still comes, and `stop()`
 * waits for the run in progress. `run` gets `stopped()`, to end long loops early once stopping.
 *
 * @param run one run of the job
 * @param intervalMs time between the end of a run and the start of the next (ms)
 * @param onError where a failed run's error goes (log it; never throws)
 */
export function periodicJob<T>(
  run: (stopped: () => boolean) => Promise<T>,
  intervalMs: number,
  onError: (error: unknown) => void,
): PeriodicJob<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const isStopped = () => stopped;
  const runOnce = () => run(isStopped);

  const tick = () => {
    running = runOnce()
      .catch(onError)
      .finally(() => {
        if (!stopped) {
          timer = setTimeout(tick, intervalMs);
          timer.unref?.();
        }
      });
  };

  return {
    runOnce,
    start() {
      if (timer || stopped) return;
      timer = setTimeout(tick, 0);
      timer.unref?.();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running.catch(() => undefined);
    },
  };
}
