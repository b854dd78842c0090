import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { randomBytes } from "@noble/ciphers/utils.js";
import { fromBase64Url, toBase64Url, utf8, VollyError } from "@volly/protocol";
import { argon2id } from "hash-wasm";

/** Argon2id parameters (RFC 9106 §3.1). `memoryKiB` in KiB. */
export interface KdfParams {
  alg: "argon2id";
  salt: string;
  memoryKiB: number;
  iterations: number;
  parallelism: number;
}

/** A data key wrapped under a key derived from the user's 6-digit PIN. JSON-serialisable. */
export interface SealedKeystore {
  v: 1;
  kdf: KdfParams;
  /** base64url: nonce ‖ XChaCha20-Poly1305 ciphertext of the 32-byte data key. */
  wrappedKey: string;
}

/**
 * Default Argon2id cost: 64 MiB, 3 passes, 1 lane — RFC 9106 §4's second recommended option
 * ("if much less memory is available"), suitable for browsers and phones. A 6-digit PIN has only
 * 10^6 values, so the cost is what stands between a stolen keystore and the keys.
 */
const DEFAULT_KDF = { memoryKiB: 65536, iterations: 3, parallelism: 1 } as const;
/** Bounds accepted from a stored keystore, so a tampered file cannot ask for 4 TiB of memory. */
const MAX_MEMORY_KIB = 4 * 1024 * 1024;
const MAX_ITERATIONS = 64;
const MAX_PARALLELISM = 16;
const SALT_LENGTH = 16;
const KEY_LENGTH = 32;
const NONCE_LENGTH = 24;
const TAG_LENGTH = 16;
const PIN_PATTERN = /^[0-9]{6}$/;

/**
 * Checks the shape of a PIN: exactly 6 ASCII digits `0`–`9` (no spaces, no Unicode digits).
 *
 * @throws VollyError VOLLY_E_PIN_INVALID otherwise
 */
export function validatePin(pin: string): void {
  if (typeof pin !== "string" || !PIN_PATTERN.test(pin)) throw new VollyError("VOLLY_E_PIN_INVALID");
}

/**
 * Creates a keystore: a random 32-byte data key wrapped under Argon2id(PIN) (RFC 9106) with
 * XChaCha20-Poly1305. `params` overrides the KDF cost (tests use a cheap setting); the default is
 * 64 MiB / 3 iterations / parallelism 1, with a fresh 16-byte salt.
 *
 * @param pin 6 ASCII digits
 * @param params optional `memoryKiB` (KiB, ≥ 8 × parallelism), `iterations` (≥ 1), `parallelism` (≥ 1)
 * @returns the JSON-serialisable keystore and the data key (secret: keep in memory only)
 * @throws VollyError VOLLY_E_PIN_INVALID
 */
export async function createKeystore(
  pin: string,
  params?: Partial<Omit<KdfParams, "alg" | "salt">>,
): Promise<{ keystore: SealedKeystore; dataKey: Uint8Array }> {
  validatePin(pin);
  const dataKey = randomBytes(KEY_LENGTH);
  const keystore = await wrapDataKey(dataKey, pin, params);
  return { keystore, dataKey };
}

/**
 * Unwraps the data key: derives the wrapping key with the keystore's Argon2id parameters and opens
 * the XChaCha20-Poly1305 box. A wrong PIN shows as an authentication failure of the AEAD.
 *
 * @param keystore what {@link createKeystore} or {@link rewrapKeystore} produced
 * @param pin 6 ASCII digits
 * @returns the 32-byte data key
 * @throws VollyError VOLLY_E_PIN_INVALID (PIN shape), VOLLY_E_WRONG_PIN (AEAD failure, including a
 *   corrupted keystore), VOLLY_E_DECRYPT_FAILED (keystore JSON of the wrong shape or out-of-bounds cost)
 */
export async function openKeystore(keystore: SealedKeystore, pin: string): Promise<Uint8Array> {
  validatePin(pin);
  const { kdf, boxed } = readKeystore(keystore);
  const wrappingKey = await deriveWrappingKey(pin, kdf);
  try {
    const dataKey = xchacha20poly1305(wrappingKey, boxed.subarray(0, NONCE_LENGTH)).decrypt(
      boxed.subarray(NONCE_LENGTH),
    );
    if (dataKey.length !== KEY_LENGTH) throw new Error("wrong data key length");
    return dataKey;
  } catch {
    throw new VollyError("VOLLY_E_WRONG_PIN");
  } finally {
    wrappingKey.fill(0);
  }
}

/**
 * Re-wraps the same data key under a new PIN (PIN change), with a fresh salt and the default
 * Argon2id cost. Data sealed under the data key stays readable.
 *
 * @param dataKey the 32-byte data key from {@link openKeystore}
 * @param newPin 6 ASCII digits
 * @throws VollyError VOLLY_E_PIN_INVALID
 */
export async function rewrapKeystore(dataKey: Uint8Array, newPin: string): Promise<SealedKeystore> {
  validatePin(newPin);
  return wrapDataKey(dataKey, newPin, undefined);
}

/**
 * Encrypts with XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha §2) under the data key with a random
 * 24-byte nonce; output = 24-byte nonce ‖ ciphertext ‖ 16-byte tag.
 *
 * @param dataKey 32 bytes
 * @param plaintext any bytes
 * @param aad optional associated data that {@link unseal} must be given again (e.g. a record id)
 */
export function seal(dataKey: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array {
  checkDataKey(dataKey);
  const nonce = randomBytes(NONCE_LENGTH);
  const ciphertext = xchacha20poly1305(dataKey, nonce, aad).encrypt(plaintext);
  const out = new Uint8Array(NONCE_LENGTH + ciphertext.length);
  out.set(nonce, 0);
  out.set(ciphertext, NONCE_LENGTH);
  return out;
}

/**
 * Decrypts what {@link seal} produced.
 *
 * @param dataKey 32 bytes
 * @param sealed nonce ‖ ciphertext ‖ tag
 * @param aad the associated data given to {@link seal}
 * @throws VollyError VOLLY_E_DECRYPT_FAILED on any failure (wrong key, tampering, truncation, AAD)
 */
export function unseal(dataKey: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Uint8Array {
  checkDataKey(dataKey);
  if (sealed.length < NONCE_LENGTH + TAG_LENGTH) {
    throw new VollyError("VOLLY_E_DECRYPT_FAILED", "The sealed data is truncated.", { cause: "malformed" });
  }
  try {
    return xchacha20poly1305(dataKey, sealed.subarray(0, NONCE_LENGTH), aad).decrypt(
      sealed.subarray(NONCE_LENGTH),
    );
  } catch {
    throw new VollyError("VOLLY_E_DECRYPT_FAILED", "The sealed data does not authenticate.", {
      cause: "bad-signature",
    });
  }
}

function checkDataKey(dataKey: Uint8Array): void {
  if (!(dataKey instanceof Uint8Array) || dataKey.length !== KEY_LENGTH) {
    throw new Error("the data key must be 32 bytes");
  }
}

async function wrapDataKey(
  dataKey: Uint8Array,
  pin: string,
  params: Partial<Omit<KdfParams, "alg" | "salt">> | undefined,
): Promise<SealedKeystore> {
  checkDataKey(dataKey);
  const kdf: KdfParams = {
    alg: "argon2id",
    salt: toBase64Url(randomBytes(SALT_LENGTH)),
    memoryKiB: params?.memoryKiB ?? DEFAULT_KDF.memoryKiB,
    iterations: params?.iterations ?? DEFAULT_KDF.iterations,
    parallelism: params?.parallelism ?? DEFAULT_KDF.parallelism,
  };
  checkKdfBounds(kdf);
  const wrappingKey = await deriveWrappingKey(pin, kdf);
  try {
    const nonce = randomBytes(NONCE_LENGTH);
    const ciphertext = xchacha20poly1305(wrappingKey, nonce).encrypt(dataKey);
    const boxed = new Uint8Array(NONCE_LENGTH + ciphertext.length);
    boxed.set(nonce, 0);
    boxed.set(ciphertext, NONCE_LENGTH);
    return { v: 1, kdf, wrappedKey: toBase64Url(boxed) };
  } finally {
    wrappingKey.fill(0);
  }
}

function checkKdfBounds(kdf: KdfParams): void {
  const ok =
    Number.isInteger(kdf.parallelism) &&
    kdf.parallelism >= 1 &&
    kdf.parallelism <= MAX_PARALLELISM &&
    Number.isInteger(kdf.iterations) &&
    kdf.iterations >= 1 &&
    kdf.iterations <= MAX_ITERATIONS &&
    Number.isInteger(kdf.memoryKiB) &&
    kdf.memoryKiB >= 8 * kdf.parallelism &&
    kdf.memoryKiB <= MAX_MEMORY_KIB;
  if (!ok) throw new RangeError("Argon2id parameters out of bounds");
}

function readKeystore(keystore: SealedKeystore): { kdf: KdfParams; boxed: Uint8Array } {
  const bad = (why: string) =>
    new VollyError("VOLLY_E_DECRYPT_FAILED", `The keystore is malformed: ${why}.`, { cause: "malformed" });
  if (typeof keystore !== "object" || keystore === null || keystore.v !== 1) throw bad("unknown version");
  const kdf = keystore.kdf;
  if (typeof kdf !== "object" || kdf === null || kdf.alg !== "argon2id") throw bad("unknown KDF");
  try {
    checkKdfBounds(kdf);
  } catch {
    throw bad("KDF cost out of bounds");
  }
  let salt: Uint8Array;
  let boxed: Uint8Array;
  try {
    salt = fromBase64Url(kdf.salt);
    boxed = fromBase64Url(keystore.wrappedKey);
  } catch {
    throw bad("invalid base64url");
  }
  if (salt.length < 8) throw bad("salt too short");
  if (boxed.length !== NONCE_LENGTH + KEY_LENGTH + TAG_LENGTH) throw bad("wrapped key has the wrong length");
  return { kdf, boxed };
}

/** Argon2id(PIN, salt) → 32-byte wrapping key (RFC 9106 §3.1). The caller zeroes the result. */
async function deriveWrappingKey(pin: string, kdf: KdfParams): Promise<Uint8Array> {
  const password = utf8(pin);
  try {
    return await argon2id({
      password,
      salt: fromBase64Url(kdf.salt),
      parallelism: kdf.parallelism,
      iterations: kdf.iterations,
      memorySize: kdf.memoryKiB,
      hashLength: KEY_LENGTH,
      outputType: "binary",
    });
  } finally {
    password.fill(0);
  }
}
