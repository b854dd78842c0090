/** Reconnect backoff of the gateway connection (ms). */
export interface ReconnectBackoff {
  /** Ceiling of the first retry's delay (ms, > 0). */
  initialMs: number;
  /** Largest ceiling any retry's delay can reach (ms, >= initialMs). */
  maxMs: number;
}

/**
 * The delay before reconnection attempt `attempt` (0 = the first retry after a drop), in ms:
 * exponential backoff with "equal jitter". The ceiling doubles with every attempt up to the cap,
 * `ceiling = min(maxMs, initialMs · 2^attempt)`, and the delay is drawn uniformly from
 * `[ceiling / 2, ceiling)`: never less than half the ceiling (so a flapping node is not hammered),
 * randomised over the other half (so clients dropped together do not reconnect together).
 *
 * @param attempt retries since the last successful connection (a whole number >= 0)
 * @param backoff the first ceiling and the cap, in ms
 * @param random a source of uniform numbers in [0, 1) (`Math.random` unless a test fixes it)
 * @returns the delay in ms, in [ceiling / 2, ceiling)
 */
export function reconnectDelayMs(
  attempt: number,
  backoff: ReconnectBackoff,
  random: () => number = Math.random,
): number {
  // 2^attempt overflows to Infinity after ~1,000 attempts; min() still caps it at maxMs.
  const ceiling = Math.min(backoff.maxMs, backoff.initialMs * 2 ** attempt);
  return ceiling / 2 + random() * (ceiling / 2);
}
