/**
 * What one delivery attempt came to, as Standard Webhooks ("Delivery success and failure") reads a
 * response:
 * - `delivered`: a 2xx;
 * - `gone`: 410 Gone — the receiver wants no more webhooks, so the endpoint is disabled;
 * - `failed`: anything else (3xx — redirects are not followed —, other 4xx, 5xx, 429, a timeout, a
 *   network error): retried on the back-off schedule; `retryAfterMs` is the receiver's
 *   `Retry-After` when it sent one (429, 503…), `throttle` is true when the spec asks the sender to
 *   slow down for the whole endpoint (429, 502, 504, or any `Retry-After`).
 */
export type AttemptOutcome =
  | { kind: "delivered"; status: number }
  | { kind: "gone"; status: 410 }
  | { kind: "failed"; reason: string; retryAfterMs?: number; throttle: boolean };

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
  const throttle = status === 429 || status === 502 || status === 504 || retryAfterMs !== undefined;
  const reason =
    status >= 300 && status <= 399 ? `HTTP ${status} (redirects are not followed)` : `HTTP ${status}`;
  return retryAfterMs === undefined
    ? { kind: "failed", reason, throttle }
    : { kind: "failed", reason, retryAfterMs, throttle };
}
