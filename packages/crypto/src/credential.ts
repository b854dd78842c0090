import { fromUtf8, utf8 } from "@volly/protocol";
import type { CredentialIdentity } from "./api.js";

/** Longest identity (bytes) we put in or accept from a basic credential. */
const MAX_IDENTITY_BYTES = 256;
const PART_PATTERN = /^[\x21-\x39\x3b-\x7e]+$/; // printable ASCII except ':' and space

/**
 * Encodes who a leaf is as the `identity` of an MLS basic credential (RFC 9420 §5.3):
 * UTF-8 of `${accountId}:${deviceId}`.
 *
 * @param credential account and device ids: non-empty printable ASCII without ':' (Volly ids are
 *   22 base64url characters)
 * @throws TypeError on an id that cannot be encoded unambiguously
 */
export function credentialIdentityToBytes(credential: CredentialIdentity): Uint8Array {
  const { accountId, deviceId } = credential;
  if (!PART_PATTERN.test(accountId) || !PART_PATTERN.test(deviceId)) {
    throw new TypeError("accountId and deviceId must be non-empty printable ASCII without ':'");
  }
  const bytes = utf8(`${accountId}:${deviceId}`);
  if (bytes.length > MAX_IDENTITY_BYTES) throw new TypeError("credential identity too long");
  return bytes;
}

/**
 * Parses the `identity` bytes of a basic credential written by {@link credentialIdentityToBytes},
 * so clients can map a leaf or a message sender to an account and device.
 *
 * @returns the identity, or `undefined` when the bytes are not of the form `accountId:deviceId`
 */
export function credentialIdentityFromBytes(identity: Uint8Array): CredentialIdentity | undefined {
  if (identity.length === 0 || identity.length > MAX_IDENTITY_BYTES) return undefined;
  const text = fromUtf8(identity);
  const colon = text.indexOf(":");
  if (colon < 0) return undefined;
  const accountId = text.slice(0, colon);
  const deviceId = text.slice(colon + 1);
  if (!PART_PATTERN.test(accountId) || !PART_PATTERN.test(deviceId)) return undefined;
  return { accountId, deviceId };
}
