import { retryDelayMs } from "./backoff.js";
import { type ResolvedOptions, redactUrl, type WebhookEndpoint } from "./options.js";
import type { AttemptOutcome } from "./outcome.js";
import type { QueuedDelivery, QueueStore } from "./queue-store.js";
import { sendAttempt } from "./send-attempt.js";

/** Longest setTimeout delay Node accepts (≈ 24.8 days), ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Delivers the queued events of one endpoint: up to `concurrency` attempts in flight, oldest due
 * first, each delivery retried on its own back-off schedule (so a delivery the receiver keeps
 * refusing does not hold up the others; the order of arrival is therefore not guaranteed, which
 * Standard Webhooks does not require). A failure of the endpoint itself (unreachable, timed out,
 * 429/502/503/504, a `Retry-After`: "Delivery success and failure", throttle) pauses the whole
 * endpoint until that delivery's next attempt, so a receiver that is down is probed by a few
 * requests per back-off step rather than by every queued delivery (which would also use up their
 * attempts). A 500 or a 4xx delays only that delivery. 410 Gone disables the endpoint.
 */
export class EndpointWorker {
  private readonly inFlight = new Map<number, Promise<void>>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private pausedUntil = 0;
  private closed = false;
  private disabled = false;
  private readonly label: string;

  /**
   * @param endpoint the endpoint (checked)
   * @param store the shared queue
   * @param options the dispatcher's resolved options
   * @param closing aborts in-flight attempts when the dispatcher closes
   */
  constructor(
    readonly endpoint: WebhookEndpoint,
    private readonly store: QueueStore,
    private readonly options: ResolvedOptions,
    private readonly closing: AbortSignal,
  ) {
    this.label = `webhook ${redactUrl(endpoint.url)}`;
  }

  /** Whether deliveries are still made to this endpoint. */
  get enabled(): boolean {
    return !this.disabled;
  }

  /**
   * Starts delivering what the queue holds for this endpoint, or — if it was disabled before (410
   * Gone, recorded in the state dir) — logs that and calls `onDisabled`.
   */
  start(): void {
    const record = this.store.disabled(this.endpoint.url);
    if (record) {
      this.disabled = true;
      this.options.log(
        `${this.label} is disabled since ${new Date(record.disabledAt).toISOString()} (${record.reason}); nothing is sent to it`,
      );
      this.notifyDisabled();
      return;
    }
    const pending = this.store.pendingCount(this.endpoint.url);
    if (pending > 0) this.options.log(`${this.label}: ${pending} queued deliveries resumed`);
    this.pump();
  }

  /** Starts the attempts that are due (called after an enqueue, a finished attempt, or a timer). */
  pump(): void {
    if (this.closed || this.disabled) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    try {
      const now = Date.now();
      if (now < this.pausedUntil) {
        this.wakeAt(this.pausedUntil, now);
        return;
      }
      const free = this.options.concurrency - this.inFlight.size;
      if (free <= 0) return;
      for (const delivery of this.store.due(this.endpoint.url, now, [...this.inFlight.keys()], free)) {
        this.begin(delivery);
      }
      if (this.inFlight.size >= this.options.concurrency) return;
      const next = this.store.nextDueAt(this.endpoint.url, [...this.inFlight.keys()]);
      if (next !== undefined) this.wakeAt(next, now);
    } catch (error) {
      this.options.log(`${this.label}: reading the queue failed: ${describeError(error)}`);
    }
  }

  /** Stops scheduling, waits for attempts in flight (aborted by `closing`) to settle. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await Promise.allSettled(this.inFlight.values());
  }

  private wakeAt(at: number, now: number): void {
    this.timer = setTimeout(() => this.pump(), Math.min(MAX_TIMER_MS, Math.max(0, at - now)));
    this.timer.unref();
  }

  private begin(delivery: QueuedDelivery): void {
    const run = this.attempt(delivery)
      .catch((error: unknown) =>
        this.options.log(`${this.label}: delivery ${delivery.eventId}: ${describeError(error)}`),
      )
      .finally(() => {
        this.inFlight.delete(delivery.seq);
        this.pump();
      });
    this.inFlight.set(delivery.seq, run);
  }

  private async attempt(delivery: QueuedDelivery): Promise<void> {
    const outcome = await sendAttempt({
      url: this.endpoint.url,
      secrets: this.endpoint.secrets,
      id: delivery.eventId,
      body: delivery.body,
      timeoutMs: this.options.attemptTimeoutMs,
      signal: this.closing,
    });
    if (outcome === undefined || this.disabled) return;
    this.record(delivery, outcome, Date.now());
  }

  private record(delivery: QueuedDelivery, outcome: AttemptOutcome, now: number): void {
    const attempt = delivery.attempts + 1;
    switch (outcome.kind) {
      case "delivered":
        this.store.finish(delivery.seq, "delivered", now);
        if (attempt > 1)
          this.options.log(`${this.label}: delivery ${delivery.eventId} delivered on attempt ${attempt}`);
        return;
      case "gone":
        this.disable(now);
        return;
      case "failed":
        this.retryOrGiveUp(delivery, attempt, outcome, now);
        return;
    }
  }

  private retryOrGiveUp(
    delivery: QueuedDelivery,
    attempt: number,
    outcome: Extract<AttemptOutcome, { kind: "failed" }>,
    now: number,
  ): void {
    const { retry } = this.options;
    if (attempt >= retry.maxAttempts) {
      this.store.finish(delivery.seq, "failed", now, outcome.reason);
      this.options.log(
        `${this.label}: delivery ${delivery.eventId} given up after ${attempt} attempts (last: ${outcome.reason})`,
      );
      return;
    }
    const asked = outcome.retryAfterMs === undefined ? 0 : Math.min(outcome.retryAfterMs, retry.maxDelayMs);
    const delay = Math.max(retryDelayMs(attempt, retry), asked);
    this.store.retryLater(delivery.seq, now + delay, outcome.reason);
    if (outcome.throttle) this.pausedUntil = Math.max(this.pausedUntil, now + delay);
    this.options.log(
      `${this.label}: delivery ${delivery.eventId} attempt ${attempt} failed (${outcome.reason}); next in ${formatDelay(delay)}`,
    );
  }

  private disable(now: number): void {
    this.disabled = true;
    clearTimeout(this.timer);
    if (!this.store.disable(this.endpoint.url, "HTTP 410 Gone", now)) return;
    this.options.log(`${this.label} answered 410 Gone: disabled, its queued deliveries dropped`);
    this.notifyDisabled();
  }

  private notifyDisabled(): void {
    try {
      this.options.onDisabled(this.endpoint.url);
    } catch (error) {
      this.options.log(`${this.label}: onDisabled threw: ${describeError(error)}`);
    }
  }
}

/** An error's message for a log line (never the objects it may carry). */
function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function formatDelay(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}
