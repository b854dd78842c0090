/**
 * Waiting in tests, shared by every package's tests and the suites under test/: tests wait for a
 * condition ({@link waitFor}), never a fixed time for a state; {@link sleep} is for the few that
 * must let time pass (a timer, a rate window, "nothing else arrives").
 */

/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** Fail after this many ms (default 20,000). */
  timeoutMs?: number;
  /** Check every this many ms (default 25). */
  intervalMs?: number;
  /** What is awaited, for the error: `timed out waiting for <message>` (default "condition"). */
  message?: string;
  /**
   * Count a condition that throws as "not yet" (default false: the error fails the wait at once).
   * For conditions that read a page that may be between states; the last error is quoted on timeout.
   */
  ignoreErrors?: boolean;
}

/**
 * Checks `condition` now and every `intervalMs` until it returns true.
 *
 * @throws Error `timed out waiting for <message>` after `timeoutMs`, or what `condition` threw
 *   (unless `ignoreErrors`)
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  { timeoutMs = 20_000, intervalMs = 25, message = "condition", ignoreErrors = false }: WaitForOptions = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await condition()) return;
    } catch (err) {
      if (!ignoreErrors) throw err;
      lastError = err;
    }
    if (Date.now() > deadline) {
      const last = lastError instanceof Error ? ` (last error: ${lastError.message})` : "";
      throw new Error(`timed out waiting for ${message}${last}`, { cause: lastError });
    }
    await sleep(intervalMs);
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
