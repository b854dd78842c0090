import { SdkWorker } from "../worker/rpc-client.js";
import type { SdkEvent } from "../worker/rpc-types.js";

const worker = new SdkWorker();

/**
 * The SDK of this tab, running in its worker (started on first use):
 * `sdk.conversations.summaries()`, `sdk.messaging.enqueue(id, text)`, `sdk.session.unlock(pin)`…
 */
export const sdk = worker.proxy;

/** Subscribes to the SDK's events (its listeners, forwarded by the worker); returns the unsubscribe function. */
export function onSdkEvent(listener: (event: SdkEvent) => void): () => void {
  return worker.on(listener);
}
