/**
 * Strict decoding of MLS wire structures shared by the MLS wrapper's files: an input must be exactly
 * one structure (nothing may trail it). Not exported from the package entry point.
 */
import { decodeMlsMessage, type GroupInfo, type MLSMessage, type RatchetTree } from "ts-mls";
import { decodeRatchetTree } from "ts-mls/ratchetTree.js";
import { decryptFailed } from "./mls-internal.js";

/** Decodes an MLSMessage (RFC 9420 §6) that must span all of `bytes`; undefined when it does not. */
export function decodeWholeMessage(bytes: Uint8Array): MLSMessage | undefined {
  if (!(bytes instanceof Uint8Array)) return undefined;
  try {
    const decoded = decodeMlsMessage(bytes, 0);
    return decoded !== undefined && decoded[1] === bytes.length ? decoded[0] : undefined;
  } catch {
    return undefined;
  }
}

/** The GroupInfo of an MLSMessage of wireformat mls_group_info (RFC 9420 §12.4.3), or undefined. */
export function decodeWholeGroupInfo(bytes: Uint8Array): GroupInfo | undefined {
  const message = decodeWholeMessage(bytes);
  return message?.wireformat === "mls_group_info" && message.version === "mls10"
    ? message.groupInfo
    : undefined;
}

/**
 * Decodes a whole ratchet tree (RFC 9420 §12.4.3.3) with ts-mls.
 *
 * @throws VollyError VOLLY_E_DECRYPT_FAILED (cause "malformed")
 */
export function decodeTree(bytes: Uint8Array): RatchetTree {
  try {
    const decoded = decodeRatchetTree(bytes, 0);
    if (decoded !== undefined && decoded[1] === bytes.length) return decoded[0];
  } catch {
    // fall through
  }
  throw decryptFailed("malformed", "The ratchet tree cannot be decoded.");
}

/** Byte equality in time independent of where the arrays differ. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
