import { QueueStore } from "./queue-store.js";

/**
 * Enables again an endpoint that was disabled by a 410 Gone, in the queue of `stateDir` (for the
 * daemon's operator, once the receiver wants webhooks again), while no dispatcher has that state
 * dir open.
 *
 * @param stateDir the dispatcher's state dir
 * @param url the endpoint URL exactly as configured
 * @returns false if that URL was not disabled
 * @throws VollyError VOLLY_E_USAGE while a dispatcher has `stateDir` open
 */
export function enableWebhookEndpoint(stateDir: string, url: string): boolean {
  const store = new QueueStore(stateDir, 1, 1);
  try {
    return store.enable(url);
  } finally {
    store.close();
  }
}
