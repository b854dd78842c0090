import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { fromBase64Url, toBase64Url, utf8, VollyError } from "@volly/protocol";
import { seal, unseal } from "./keystore.js";

/** A profile's data key wrapped under an API key (JSON-serialisable, stored unsealed). */
export interface ApiKeyKeystore {
  v: 1;
  /** 16 random bytes, base64url: the HKDF salt. */
  salt: string;
  /** XChaCha20-Poly1305 box of the 32-byte data key (nonce ‖ ciphertext ‖ tag), base64url. */
  box: string;
}

const INFO = utf8("volly api-key keystore v1");

/**
 * The wrapping key: HKDF-SHA256 (RFC 5869) of the API key's text. A fast KDF is enough here, unlike
 * for a 6-digit PIN: an API key carries ~190 random bits, so the wrap cannot be brute-forced.
 */
function wrappingKey(apiKey: string, salt: Uint8Array): Uint8Array {
  return hkdf(sha256, utf8(apiKey), salt, INFO, 32);
}

/**
 * Wraps a profile's data key under an API key, so a bot's profile opens with its key and no PIN.
 *
 * @param dataKey the 32-byte data key
 * @param apiKey the key's text (`vly_…`)
 */
export function wrapDataKeyForApiKey(dataKey: Uint8Array, apiKey: string): ApiKeyKeystore {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  return { v: 1, salt: toBase64Url(salt), box: toBase64Url(seal(wrappingKey(apiKey, salt), dataKey)) };
}

/**
 * Unwraps the data key with an API key.
 *
 * @throws VollyError VOLLY_E_API_KEY_INVALID when the key does not open it (another key, or a
 *   tampered keystore)
 */
export function unwrapDataKeyWithApiKey(keystore: ApiKeyKeystore, apiKey: string): Uint8Array {
  try {
    return unseal(wrappingKey(apiKey, fromBase64Url(keystore.salt)), fromBase64Url(keystore.box));
  } catch {
    throw new VollyError("VOLLY_E_API_KEY_INVALID", "This API key does not open this profile.");
  }
}
