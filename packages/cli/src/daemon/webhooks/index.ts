/**
 * Outbound Standard Webhooks (https://www.standardwebhooks.com, spec 1.0.0) for `volly daemon`:
 * every MemberEvent POSTed as JSON to each configured endpoint, signed with its `whsec_` secrets,
 * queued durably in the daemon's state dir and retried with exponential back-off.
 */

export { createWebhookDispatcher, type WebhookDispatcher } from "./dispatcher.js";
export { enableWebhookEndpoint } from "./endpoint-admin.js";
export type { WebhookDispatcherOptions, WebhookEndpoint } from "./options.js";
export { checkSecret } from "./secrets.js";
export { signDelivery, type WebhookHeaders } from "./signing.js";
