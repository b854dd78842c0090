/** How retries are spaced: exponential back-off with jitter, capped. */
export interface RetryPolicy {
  /** Delay before the first retry, ms (before jitter). */
  initialDelayMs: number;
  /** Longest delay between two attempts, ms (also caps a receiver's `Retry-After`). */
  maxDelayMs: number;
  /** Attempts in all, the first one included; after the last failure the delivery is given up. */
  maxAttempts: number;
}

/**
 * The default schedule: 5 s, then ×4 per attempt (20 s, 80 s, 5 min, 21 min, 85 min, 5.7 h, then
 * 12 h), 12 attempts spanning about 2.3 days — the "retry schedule spanning multiple days, with an
 * exponential backoff" of Standard Webhooks ("Deliverability and reliability").
 */
export const DEFAULT_RETRY: RetryPolicy = {
  initialDelayMs: 5_000,
  maxDelayMs: 12 * 60 * 60 * 1000,
  maxAttempts: 12,
};

/** Growth factor of the delay per failed attempt. */
export const BACKOFF_FACTOR = 4;

/**
 * The delay before the next attempt after `failedAttempts` failures (≥ 1): `initialDelayMs ×
 * 4^(failedAttempts−1)`, capped at `maxDelayMs`, with "equal jitter" (a uniformly random point in
 * the upper half of that delay) so endpoints failing together do not get retried in lockstep
 * (Standard Webhooks, "Deliverability and reliability": "add some level of random jitter").
 *
 * @param failedAttempts attempts made so far, all failed (1 after the first failure)
 * @param policy the delays, ms
 * @param random a number in [0, 1) (tests may pin it)
 * @returns milliseconds
 */
export function retryDelayMs(failedAttempts: number, policy: RetryPolicy, random = Math.random()): number {
  const exponent = Math.max(0, failedAttempts - 1);
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * BACKOFF_FACTOR ** exponent);
  return Math.round(base / 2 + (random * base) / 2);
}

/**
 * Reads an HTTP `Retry-After` header (RFC 9110 §10.2.3: delay-seconds or an HTTP-date).
 *
 * @param value the header's value, if any
 * @param nowMs the current time, ms since the Unix epoch (to turn a date into a delay)
 * @returns the delay in ms (≥ 0), or undefined when absent or unreadable
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}
