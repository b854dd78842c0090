import { Value } from "@sinclair/typebox/value";
import { MemberEvent } from "@volly/bot";
import { VollyError } from "@volly/protocol";
import { EndpointWorker } from "./endpoint-worker.js";
import { redactUrl, resolveOptions, type WebhookDispatcherOptions } from "./options.js";
import { QueueStore } from "./queue-store.js";

/** Finished delivery ids kept per endpoint, so an event enqueued again is not sent again. */
export const KEEP_FINISHED = 10_000;

/** Sends every event of a machine member to its webhook endpoints. */
export interface WebhookDispatcher {
  /**
   * Queues `event` durably (committed to the state dir before this returns) for every enabled
   * endpoint; body = `JSON.stringify(event)`, `webhook-id` = `event.id` (the same on every retry).
   * An event id already queued or delivered for an endpoint is not queued again.
   *
   * @throws VollyError VOLLY_E_BAD_REQUEST when `event` does not match the MemberEvent schema
   * @throws VollyError VOLLY_E_SHUTTING_DOWN after `close()`
   */
  enqueue(event: MemberEvent): void;
  /**
   * Stops delivering: aborts attempts in flight (they stay queued, and are sent again by the next
   * dispatcher on the same state dir), waits for them, closes the queue. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Creates the outbound Standard Webhooks sender of `volly daemon`: opens (or resumes) the durable
 * queue in `options.stateDir` and starts delivering to `options.endpoints`. See
 * docs/machine-members/webhooks.md for the receiver's side.
 *
 * @param options endpoints (`url`, `whsec_…` secrets), state dir, `onDisabled`, retry tuning (ms)
 * @throws VollyError VOLLY_E_USAGE for a bad URL, secret or option (nothing is created then), or
 *   when another dispatcher (this process or another) has `stateDir` open
 * @throws the SQLite error when the queue file cannot be opened
 */
export async function createWebhookDispatcher(options: WebhookDispatcherOptions): Promise<WebhookDispatcher> {
  const resolved = resolveOptions(options);
  const store = new QueueStore(resolved.stateDir, resolved.maxPending, KEEP_FINISHED);
  const closing = new AbortController();
  const workers = resolved.endpoints.map(
    (endpoint) => new EndpointWorker(endpoint, store, resolved, closing.signal),
  );
  for (const worker of workers) worker.start();
  let closed: Promise<void> | undefined;

  return {
    enqueue(event: MemberEvent): void {
      if (closed) throw new VollyError("VOLLY_E_SHUTTING_DOWN", "The webhook dispatcher is closed.");
      if (!Value.Check(MemberEvent, event)) {
        throw new VollyError("VOLLY_E_BAD_REQUEST", "A webhook event must match the MemberEvent schema.");
      }
      const targets = workers.filter((w) => w.enabled);
      if (targets.length === 0) return;
      const results = store.enqueue(
        targets.map((w) => w.endpoint.url),
        event.id,
        JSON.stringify(event),
        Date.now(),
      );
      for (const [i, result] of results.entries()) {
        for (const dropped of result.dropped) {
          resolved.log(
            `webhook ${redactUrl(result.url)}: queue full (${resolved.maxPending} pending), delivery ${dropped.eventId} dropped`,
          );
        }
        if (result.queued) targets[i]?.pump();
      }
    },
    close(): Promise<void> {
      closed ??= (async () => {
        closing.abort();
        await Promise.all(workers.map((w) => w.close()));
        store.close();
      })();
      return closed;
    },
  };
}
