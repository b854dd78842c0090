import { parseRetryAfter } from "./backoff.js";
import { type AttemptOutcome, classifyResponse } from "./outcome.js";
import { signDelivery } from "./signing.js";

/** One attempt to deliver one event to one endpoint. */
export interface AttemptRequest {
  url: string;
  secrets: readonly string[];
  /** The webhook id (the event's id). */
  id: string;
  /** The JSON body, exactly as signed and sent. */
  body: string;
  /** Per-attempt timeout, ms (Standard Webhooks, "Request timeouts": 15–30 s recommended). */
  timeoutMs: number;
  /** Aborts the attempt when the dispatcher closes. */
  signal: AbortSignal;
}

/**
 * POSTs one signed delivery (Standard Webhooks, "Webhook headers") with `content-type:
 * application/json`, a fresh `webhook-timestamp` and signatures for this attempt, redirects not
 * followed, and reads the outcome. The response body is discarded.
 *
 * @returns the outcome (a timeout or a network error is a `failed` that throttles the endpoint);
 *   `undefined` when `signal` aborted it (the dispatcher is closing: the attempt does not count and
 *   the delivery stays queued)
 */
export async function sendAttempt(request: AttemptRequest): Promise<AttemptOutcome | undefined> {
  const headers = signDelivery(request.id, Math.floor(Date.now() / 1000), request.body, request.secrets);
  const timeout = AbortSignal.timeout(request.timeoutMs);
  try {
    const response = await fetch(request.url, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json", "user-agent": "volly-daemon-webhooks" },
      body: request.body,
      redirect: "manual",
      signal: AbortSignal.any([request.signal, timeout]),
    });
    await response.body?.cancel();
    return classifyResponse(
      response.status,
      parseRetryAfter(response.headers.get("retry-after"), Date.now()),
    );
  } catch (error) {
    if (request.signal.aborted) return undefined;
    if (timeout.aborted)
      return { kind: "failed", reason: `no answer within ${request.timeoutMs} ms`, throttle: true };
    return { kind: "failed", reason: networkReason(error), throttle: true };
  }
}

/** A short description of a fetch failure (undici puts the system error, e.g. ECONNREFUSED, in `cause`). */
function networkReason(error: unknown): string {
  const cause =
    error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (cause && typeof cause.code === "string") return `network error ${cause.code}`;
  if (cause && typeof cause.message === "string") return `network error: ${cause.message}`;
  return `network error: ${error instanceof Error ? error.message : String(error)}`;
}
