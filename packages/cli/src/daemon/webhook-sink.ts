import type { MemberEvent } from "@volly/bot";
import type { WebhookFlag } from "./webhook-flags.js";
import { createWebhookDispatcher } from "./webhooks/index.js";

/** Where the daemon hands each event for outbound webhooks (daemon/webhooks/ delivers them). */
export interface WebhookSink {
  enqueue(event: MemberEvent): void;
  close(): Promise<void>;
}

/**
 * Opens the Standard Webhooks delivery (daemon/webhooks/) for `endpoints`, its durable queue in
 * `stateDir`, or undefined when there are none. `log` gets its log lines and a line for each
 * endpoint disabled by a 410 Gone.
 *
 * @throws VollyError VOLLY_E_USAGE for a bad URL or secret; the SQLite error if the queue cannot open
 */
export async function openWebhookSink(
  endpoints: WebhookFlag[],
  stateDir: string,
  log: (line: string) => void,
): Promise<WebhookSink | undefined> {
  if (endpoints.length === 0) return undefined;
  return createWebhookDispatcher({
    endpoints,
    stateDir,
    onDisabled: (url) => log(`volly daemon: webhook ${url} answered 410 Gone; it is disabled`),
    log: (line) => log(`volly daemon: webhooks: ${line}`),
  });
}
