import { ed25519 } from "@noble/curves/ed25519.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { toBase64Url } from "@volly/protocol";
import type { DeviceIdentity } from "./api.js";

/** Length in bytes of an Ed25519 public key and of a private key seed (RFC 8032 §5.1.5). */
const KEY_LENGTH = 32;
/** Length in bytes of an Ed25519 signature (RFC 8032 §5.1.6). */
const SIGNATURE_LENGTH = 64;

/**
 * Generates a new Ed25519 device identity (RFC 8032 §5.1.5) from the platform CSPRNG.
 *
 * @returns `signaturePublicKey` (32 bytes) and `signaturePrivateKey` (the 32-byte seed; secret,
 *   store it sealed with the PIN keystore).
 */
export function generateIdentity(): DeviceIdentity {
  const signaturePrivateKey = ed25519.utils.randomSecretKey();
  return { signaturePublicKey: ed25519.getPublicKey(signaturePrivateKey), signaturePrivateKey };
}

/**
 * Signs `message` with an Ed25519 private key (RFC 8032 §5.1.6, pure Ed25519, no prehash).
 *
 * @param privateKey the 32-byte seed of a {@link DeviceIdentity}
 * @param message any bytes
 * @returns the 64-byte signature
 * @throws Error when `privateKey` is not 32 bytes (a programming error, not a user error)
 */
export function sign(privateKey: Uint8Array, message: Uint8Array): Uint8Array {
  if (privateKey.length !== KEY_LENGTH) throw new Error("Ed25519 private key must be a 32-byte seed");
  return ed25519.sign(message, privateKey);
}

/**
 * Verifies an Ed25519 signature (RFC 8032 §5.1.7). Returns false (never throws) on a malformed key
 * or signature: wrong lengths, a public key that is not a curve point, a non-canonical `S`.
 *
 * @param publicKey 32-byte Ed25519 public key
 * @param message the signed bytes
 * @param signature 64-byte signature
 */
export function verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== KEY_LENGTH) return false;
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_LENGTH) return false;
  if (!(message instanceof Uint8Array)) return false;
  try {
    return ed25519.verify(signature, message, publicKey);
  } catch {
    return false;
  }
}

/**
 * Fingerprint of an identity key: SHA-256 (FIPS 180-4) of the 32-byte public key, unpadded
 * base64url (RFC 4648 §5), always 43 characters. Used in invites and safety numbers.
 *
 * @throws Error when `publicKey` is not 32 bytes
 */
export function fingerprint(publicKey: Uint8Array): string {
  if (publicKey.length !== KEY_LENGTH) throw new Error("Ed25519 public key must be 32 bytes");
  return toBase64Url(sha256(publicKey));
}
