import { ed25519 } from "@noble/curves/ed25519.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { randomBytes } from "@noble/hashes/utils.js";
import { utf8, VollyError } from "@volly/protocol";
import type { DeviceIdentity } from "./api.js";
import { seal, unseal } from "./keystore.js";

/** Bytes of secret in a recovery key (256 bits). */
export const RECOVERY_KEY_BYTES = 32;
/** Crockford's base32 alphabet (no I, L, O, U): what a recovery key is written in. */
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/** Characters of a written recovery key without separators: ceil(256 / 5). */
const KEY_CHARS = Math.ceil((RECOVERY_KEY_BYTES * 8) / 5);
/** HKDF salt of every key derived from a recovery key (RFC 5869 §2.2). */
const SALT = utf8("volly-recovery-key");
const SIGNING_INFO = utf8("volly recovery signature key v1");
const BACKUP_INFO = utf8("volly account backup key v1");

/**
 * Generates a new recovery key: 32 bytes from the platform CSPRNG, written as 52 characters of
 * Crockford's base32 in 13 groups of 4 separated by "-" ("ABCD-EFGH-…"). Shown to the user once;
 * the server only ever sees the public key of {@link recoveryIdentity}.
 */
export function generateRecoveryKey(): string {
  return formatRecoveryKey(randomBytes(RECOVERY_KEY_BYTES));
}

/** Writes 32 key bytes as {@link generateRecoveryKey} does. @throws TypeError when not 32 bytes */
export function formatRecoveryKey(bytes: Uint8Array): string {
  if (bytes.length !== RECOVERY_KEY_BYTES) throw new TypeError("A recovery key is 32 bytes.");
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return (out.match(/.{1,4}/g) ?? []).join("-");
}

/**
 * Reads a recovery key as the user typed it: case, spaces and "-" do not matter, and the letters
 * Crockford's base32 reads as digits are accepted (I and L as 1, O as 0).
 *
 * @returns the 32 key bytes
 * @throws VollyError VOLLY_E_RECOVERY_KEY_INVALID when it is not 52 base32 characters (or its last
 *   character carries bits a key never has)
 */
export function parseRecoveryKey(text: string): Uint8Array {
  const cleaned = text.toUpperCase().replace(/[\s-]/g, "").replace(/[IL]/g, "1").replace(/O/g, "0");
  const invalid = () =>
    new VollyError(
      "VOLLY_E_RECOVERY_KEY_INVALID",
      "A recovery key is 52 letters and digits (13 groups of 4).",
    );
  if (cleaned.length !== KEY_CHARS) throw invalid();
  const out = new Uint8Array(RECOVERY_KEY_BYTES);
  let bits = 0;
  let value = 0;
  let index = 0;
  for (const char of cleaned) {
    const digit = ALPHABET.indexOf(char);
    if (digit < 0) throw invalid();
    value = ((value << 5) | digit) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      if (index < RECOVERY_KEY_BYTES) out[index] = (value >>> (bits - 8)) & 0xff;
      index++;
      bits -= 8;
    }
  }
  // The 4 padding bits of the last character are always zero in a key this module wrote.
  if ((value & ((1 << bits) - 1)) !== 0) throw invalid();
  return out;
}

/**
 * The account's recovery signature key: an Ed25519 key pair (RFC 8032) whose 32-byte seed is
 * HKDF-SHA256(recovery key, salt "volly-recovery-key", info "volly recovery signature key v1")
 * (RFC 5869). Its public key is registered with the server when the recovery key is set up;
 * restoring proves possession by signing the server's nonce with it.
 *
 * @param recoveryKey the 32 bytes from {@link parseRecoveryKey}
 * @throws TypeError when not 32 bytes
 */
export function recoveryIdentity(recoveryKey: Uint8Array): DeviceIdentity {
  checkKey(recoveryKey);
  const signaturePrivateKey = hkdf(sha256, recoveryKey, SALT, SIGNING_INFO, 32);
  return { signaturePublicKey: ed25519.getPublicKey(signaturePrivateKey), signaturePrivateKey };
}

/**
 * The key the account backup is sealed under: HKDF-SHA256(recovery key, salt "volly-recovery-key",
 * info "volly account backup key v1") (RFC 5869), 32 bytes. A device that set up the recovery key
 * keeps this (sealed in its local store) to refresh the backup, never the recovery key itself.
 *
 * @param recoveryKey the 32 bytes from {@link parseRecoveryKey}
 * @throws TypeError when not 32 bytes
 */
export function accountBackupKey(recoveryKey: Uint8Array): Uint8Array {
  checkKey(recoveryKey);
  return hkdf(sha256, recoveryKey, SALT, BACKUP_INFO, 32);
}

/**
 * Seals the account backup (the account's Yjs document state) under the {@link accountBackupKey}
 * with XChaCha20-Poly1305 (keystore `seal`: 24-byte random nonce ‖ ciphertext ‖ tag), bound to the
 * account id as associated data, so a backup cannot be passed off as another account's.
 *
 * @param backupKey the 32 bytes of {@link accountBackupKey}
 * @param accountId the account the backup belongs to
 * @param plaintext the backup's bytes
 * @throws Error when the key is not 32 bytes
 */
export function sealAccountBackup(
  backupKey: Uint8Array,
  accountId: string,
  plaintext: Uint8Array,
): Uint8Array {
  return seal(backupKey, plaintext, backupAad(accountId));
}

/**
 * Opens what {@link sealAccountBackup} sealed.
 *
 * @throws VollyError VOLLY_E_DECRYPT_FAILED (wrong key, another account's backup, tampering)
 */
export function openAccountBackup(backupKey: Uint8Array, accountId: string, sealed: Uint8Array): Uint8Array {
  return unseal(backupKey, sealed, backupAad(accountId));
}

function backupAad(accountId: string): Uint8Array {
  return utf8(`volly-account-backup:v1:${accountId}`);
}

function checkKey(recoveryKey: Uint8Array): void {
  if (!(recoveryKey instanceof Uint8Array) || recoveryKey.length !== RECOVERY_KEY_BYTES) {
    throw new TypeError("A recovery key is 32 bytes.");
  }
}
