/**
 * What one delivery attempt came to, as Standard Webhooks ("Delivery success and failure") reads a
 * response:
 * - `delivered`: a 2xx;
 * - `gone`: 410 Gone — the receiver wants no more webhooks, so the endpoint is disabled;
 * - `failed`: anything else (3xx — redirects are not followed —, other 4xx, 5xx, 429, a timeout, a
 *   network error): retried on the back-off schedule; `retryAfterMs` is the receiver's
 *   `Retry-After` when it sent one (429, 503…). `throttle` is true when the failure is the
 *   endpoint's rather than this delivery's, so the whole endpoint waits: the spec's "throttle" cases
 *   (429, 502, 504), 503, any `Retry-After`, and (set by `sendAttempt`) timeouts and network errors.
 *   A 500 or a 4xx may be about this one payload, so only this delivery waits.
 */
export type AttemptOutcome =
  | { kind: "delivered"; status: number }
  | { kind: "gone"; status: 410 }
  | { kind: "failed"; reason: string; retryAfterMs?: number; throttle: boolean };

/** Statuses meaning the receiver as a whole is overloaded or unreachable. */
const THROTTLE_STATUSES = new Set([429, 502, 503, 504]);

/**
 * Classifies an HTTP response of a delivery attempt (Standard Webhooks, "Delivery success and
 * failure").
 *
 * @param status the HTTP status code
 * @param retryAfterMs the parsed `Retry-After` header, ms, if any
 */
export function classifyResponse(status: number, retryAfterMs: number | undefined): AttemptOutcome {
  if (status >= 200 && status <= 299) return { kind: "delivered", status };
  if (status === 410) return { kind: "gone", status };
  const throttle = THROTTLE_STATUSES.has(status) || retryAfterMs !== undefined;
  const reason =
    status >= 300 && status <= 399 ? `HTTP ${status} (redirects are not followed)` : `HTTP ${status}`;
  return retryAfterMs === undefined
    ? { kind: "failed", reason, throttle }
    : { kind: "failed", reason, retryAfterMs, throttle };
}
