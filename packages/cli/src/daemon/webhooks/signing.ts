import { Webhook } from "standardwebhooks";

/** The three headers of a Standard Webhooks request (spec, "Webhook headers"). */
export interface WebhookHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}

/**
 * Signs one delivery attempt with every secret of its endpoint (Standard Webhooks, "Signature
 * scheme" and "Webhook headers"): each signature is `v1,` + base64(HMAC-SHA256(key,
 * `{id}.{timestamp}.{body}`)), computed by the `standardwebhooks` library; several secrets (a
 * rotation) give several signatures, space-separated, so a receiver knowing any one of them verifies.
 *
 * @param id the webhook id: the event's id, the same on every retry (no '.', see the spec)
 * @param timestampSeconds the attempt's time, whole seconds since the Unix epoch
 * @param body the exact bytes sent, as a string (the JSON of the event)
 * @param secrets `whsec_…` secrets, already checked by `checkSecret`
 */
export function signDelivery(
  id: string,
  timestampSeconds: number,
  body: string,
  secrets: readonly string[],
): WebhookHeaders {
  const at = new Date(timestampSeconds * 1000);
  const signatures = secrets.map((secret) => new Webhook(secret).sign(id, at, body));
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestampSeconds),
    "webhook-signature": signatures.join(" "),
  };
}
