import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { fromBase64Url, ID_PATTERN, signingInput, toBase64Url, VollyError } from "@volly/protocol";

/** Length in bytes of a device link's pairing secret (never sent to the server). */
export const LINK_SECRET_BYTES = 16;

/** The scheme every pairing code starts with. */
const CODE_PREFIX = "volly-link:";

/** A parsed pairing code `volly-link:<server origin>/<linkId>.<secret>`. */
export interface LinkCode {
  /** The server's origin, e.g. `https://chat.example.org` (no trailing slash). */
  server: string;
  linkId: string;
  /** The 16-byte pairing secret. */
  secret: Uint8Array;
}

/** Generates a fresh 16-byte pairing secret from the platform CSPRNG. */
export function generateLinkSecret(): Uint8Array {
  const secret = new Uint8Array(LINK_SECRET_BYTES);
  globalThis.crypto.getRandomValues(secret);
  return secret;
}

/**
 * The proof a new device presents when claiming a link: HMAC-SHA256 (RFC 2104, FIPS 180-4) keyed
 * with the pairing secret over `signingInput.linkClaim(linkId, key)`, base64url (43 chars). It binds
 * the claimed key to the pairing code, so a server that never saw the secret cannot substitute a key.
 *
 * @param secret the 16-byte pairing secret
 * @param linkId the link's id
 * @param signaturePublicKey the new device's base64url Ed25519 public key
 */
export function linkProof(secret: Uint8Array, linkId: string, signaturePublicKey: string): string {
  return toBase64Url(hmac(sha256, secret, signingInput.linkClaim(linkId, signaturePublicKey)));
}

/**
 * Checks a claim's proof against the pairing secret (constant-time comparison). Returns false, never
 * throws, on malformed input.
 *
 * @param proof base64url HMAC-SHA256 as produced by {@link linkProof}
 */
export function verifyLinkProof(
  secret: Uint8Array,
  linkId: string,
  signaturePublicKey: string,
  proof: string,
): boolean {
  let given: Uint8Array;
  try {
    given = fromBase64Url(proof);
  } catch {
    return false;
  }
  const expected = hmac(sha256, secret, signingInput.linkClaim(linkId, signaturePublicKey));
  if (given.length !== expected.length) return false;
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff |= (given[i] ?? 0) ^ (expected[i] ?? 0);
  return diff === 0;
}

/**
 * Formats a pairing code `volly-link:<server origin>/<linkId>.<secret>` (see `device-links.ts` in
 * @volly/protocol).
 *
 * @param server the server URL; only its origin is kept
 */
export function formatLinkCode(server: string, linkId: string, secret: Uint8Array): string {
  return `${CODE_PREFIX}${new URL(server).origin}/${linkId}.${toBase64Url(secret)}`;
}

/**
 * Parses a pairing code (surrounding whitespace ignored).
 *
 * @throws VollyError VOLLY_E_LINK_INVALID when it is not `volly-link:<origin>/<linkId>.<secret>` with
 *   an http(s) origin, a valid id and a 16-byte secret
 */
export function parseLinkCode(code: string): LinkCode {
  const invalid = () => new VollyError("VOLLY_E_LINK_INVALID", "The pairing code is malformed.");
  const text = code.trim();
  if (!text.startsWith(CODE_PREFIX)) throw invalid();
  const rest = text.slice(CODE_PREFIX.length);
  const slash = rest.lastIndexOf("/");
  if (slash < 0) throw invalid();
  const [linkId, secretText, ...extra] = rest.slice(slash + 1).split(".");
  if (linkId === undefined || secretText === undefined || extra.length > 0) throw invalid();
  if (!new RegExp(ID_PATTERN).test(linkId)) throw invalid();
  let server: URL;
  let secret: Uint8Array;
  try {
    server = new URL(rest.slice(0, slash));
    secret = fromBase64Url(secretText);
  } catch {
    throw invalid();
  }
  if (server.protocol !== "http:" && server.protocol !== "https:") throw invalid();
  if (secret.length !== LINK_SECRET_BYTES) throw invalid();
  return { server: server.origin, linkId, secret };
}
