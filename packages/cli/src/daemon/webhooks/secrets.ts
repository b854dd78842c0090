import { VollyError } from "@volly/protocol";

/** The prefix of a symmetric Standard Webhooks signing secret ("Signature scheme" table). */
export const SECRET_PREFIX = "whsec_";
/** Shortest secret key the spec allows: 24 bytes (192 bits). */
export const MIN_SECRET_BYTES = 24;
/** Longest secret key accepted: 64 bytes (512 bits, the spec's maximum). */
export const MAX_SECRET_BYTES = 64;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Checks one signing secret in the Standard Webhooks serialization (spec, "Verifying webhook
 * authenticity" → "Signature scheme": `whsec_` followed by the standard base64 (RFC 4648 §4, padded)
 * of a random key of 24–64 bytes) and returns it unchanged.
 *
 * @param secret the secret as given, e.g. on the command line (`--webhook-secret whsec_…`)
 * @param where names the input in the error message (e.g. the endpoint URL); never the secret
 * @throws VollyError VOLLY_E_USAGE when the prefix, the base64 or the key length is wrong
 */
export function checkSecret(secret: string, where: string): string {
  if (!secret.startsWith(SECRET_PREFIX)) {
    throw new VollyError(
      "VOLLY_E_USAGE",
      `A webhook secret for ${where} must start with "${SECRET_PREFIX}".`,
    );
  }
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (encoded.length === 0 || !BASE64.test(encoded)) {
    throw new VollyError(
      "VOLLY_E_USAGE",
      `A webhook secret for ${where} must be "${SECRET_PREFIX}" followed by standard base64.`,
    );
  }
  const bytes = Buffer.from(encoded, "base64").length;
  if (bytes < MIN_SECRET_BYTES || bytes > MAX_SECRET_BYTES) {
    throw new VollyError(
      "VOLLY_E_USAGE",
      `A webhook secret for ${where} must encode ${MIN_SECRET_BYTES}–${MAX_SECRET_BYTES} bytes (it has ${bytes}).`,
    );
  }
  return secret;
}
