import { VollyError } from "./errors.js";

/** The typed prefix of every Volly API key (like GitHub's `ghp_`): secret scanners can match it. */
export const API_KEY_PREFIX = "vly_";
/** Random base62 characters after the prefix (62^32 ≈ 2^190 keys). */
export const API_KEY_RANDOM_CHARS = 32;
/** Base62 characters of the CRC32 checksum at the end (62^6 > 2^32). */
export const API_KEY_CHECKSUM_CHARS = 6;
/** Length of a whole key: prefix + random + checksum (42 characters). */
export const API_KEY_LENGTH = API_KEY_PREFIX.length + API_KEY_RANDOM_CHARS + API_KEY_CHECKSUM_CHARS;
/** Characters of a key shown in lists to recognise it (prefix + 4 random chars); not secret. */
export const API_KEY_HINT_LENGTH = API_KEY_PREFIX.length + 4;

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const KEY_PATTERN = new RegExp(
  `^${API_KEY_PREFIX}[0-9A-Za-z]{${API_KEY_RANDOM_CHARS + API_KEY_CHECKSUM_CHARS}}$`,
);

let crcTable: Uint32Array | undefined;

/** CRC-32 (ISO-HDLC, polynomial 0xEDB88320, as zlib's) of the UTF-8 of `text`; unsigned 32-bit. */
export function crc32(text: string): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const byte of new TextEncoder().encode(text))
    crc = (crcTable[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** `value` (an unsigned integer) in base62, left-padded with "0" to `width` characters. */
function base62(value: number, width: number): string {
  let out = "";
  let v = value;
  while (v > 0) {
    out = BASE62[v % 62] + out;
    v = Math.floor(v / 62);
  }
  return out.padStart(width, "0");
}

/**
 * Builds a key from its random part: `vly_` + `random` + base62(CRC32(random)) (6 chars).
 *
 * @param random exactly {@link API_KEY_RANDOM_CHARS} base62 characters (from a CSPRNG)
 * @throws Error when `random` is not that
 */
export function formatApiKey(random: string): string {
  if (!new RegExp(`^[0-9A-Za-z]{${API_KEY_RANDOM_CHARS}}$`).test(random)) {
    throw new Error(`an API key's random part is ${API_KEY_RANDOM_CHARS} base62 characters`);
  }
  return `${API_KEY_PREFIX}${random}${base62(crc32(random), API_KEY_CHECKSUM_CHARS)}`;
}

/** Maps random bytes to base62 characters (rejection sampling, so every character is uniform). */
export function randomBase62(bytes: Uint8Array, length: number): string {
  let out = "";
  for (const b of bytes) {
    if (b >= 248) continue; // 248 = 4 × 62: keep the distribution uniform
    out += BASE62[b % 62];
    if (out.length === length) return out;
  }
  throw new Error("not enough random bytes for a base62 string");
}

/** Whether `key` has the shape of a Volly API key and its checksum matches (no server lookup). */
export function isWellFormedApiKey(key: string): boolean {
  if (!KEY_PATTERN.test(key)) return false;
  const random = key.slice(API_KEY_PREFIX.length, API_KEY_PREFIX.length + API_KEY_RANDOM_CHARS);
  return key.slice(-API_KEY_CHECKSUM_CHARS) === base62(crc32(random), API_KEY_CHECKSUM_CHARS);
}

/**
 * Checks a key's shape and checksum before anything looks it up (a typo or a truncated paste fails
 * here, and the server never queries its database for it).
 *
 * @returns `key` unchanged
 * @throws VollyError VOLLY_E_API_KEY_INVALID when the prefix, length, alphabet or checksum is wrong
 */
export function assertWellFormedApiKey(key: string): string {
  if (!isWellFormedApiKey(key)) {
    throw new VollyError(
      "VOLLY_E_API_KEY_INVALID",
      `This is not a Volly API key (they start with ${API_KEY_PREFIX}, are ${API_KEY_LENGTH} characters and end in a checksum).`,
    );
  }
  return key;
}

/** The non-secret start of a key shown in lists (`vly_` + 4 characters). */
export function apiKeyHint(key: string): string {
  return key.slice(0, API_KEY_HINT_LENGTH);
}
