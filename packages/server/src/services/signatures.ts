import { verify } from "@volly/crypto";
import { fromBase64Url } from "@volly/protocol";

/**
 * Verifies an Ed25519 signature given base64url key and signature (RFC 8032 §5.1.7). Returns false
 * — never throws — on malformed base64url, a wrong length or a signature that does not verify.
 *
 * @param publicKey base64url 32-byte Ed25519 public key
 * @param message the exact signed bytes (see `signingInput` in @volly/protocol)
 * @param signature base64url 64-byte signature
 */
export function verifySignature(publicKey: string, message: Uint8Array, signature: string): boolean {
  let key: Uint8Array;
  let sig: Uint8Array;
  try {
    key = fromBase64Url(publicKey);
    sig = fromBase64Url(signature);
  } catch {
    return false;
  }
  if (key.length !== 32 || sig.length !== 64) return false;
  return verify(key, message, sig);
}
