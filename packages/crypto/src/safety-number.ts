import { sha512 } from "@noble/hashes/sha2.js";
import { toBase64Url, utf8 } from "@volly/protocol";

/** One side of a safety number: an account and the Ed25519 signature keys of its devices. */
export interface SafetyNumberParty {
  /** The account's stable identifier (Volly account id). */
  accountId: string;
  /** 32-byte Ed25519 public keys of all the account's devices, in any order (at least one). */
  keys: Uint8Array[];
}

/** A safety number: 60 decimal digits (no separators) and the text a QR code carries. */
export interface SafetyNumberResult {
  /** 60 ASCII digits: the two 30-digit halves in ascending order, so both sides see the same. */
  digits: string;
  /** `volly-sn:0:<half>:<half>`: the 30-byte hash of each side (base64url), same order as `digits`. */
  qrPayload: string;
}

/** Version of the safety number derivation (the first two bytes hashed, big-endian). */
export const SAFETY_NUMBER_VERSION = 0;
/** SHA-512 iterations per side (Signal's NumericFingerprintGenerator uses 5200). */
export const SAFETY_NUMBER_ITERATIONS = 5200;
const KEY_LENGTH = 32;

/**
 * Computes the safety number of two accounts, as Signal's numeric fingerprints do: per side,
 * `h = SHA-512(version ‖ keys ‖ accountId)`, then 5199 more rounds `h = SHA-512(h ‖ keys)`, where
 * `keys` is the concatenation of that account's device keys sorted bytewise; the first 30 bytes of
 * `h` give 30 digits (six 5-byte big-endian chunks, each mod 100000, zero-padded to 5 digits). The
 * two halves are sorted, so `safetyNumber(a, b)` equals `safetyNumber(b, a)`: both users compare the
 * same 60 digits, and any key the server substituted (or any added device) changes them.
 *
 * @param local this user's account and device keys
 * @param remote the other account and its device keys
 * @throws TypeError when a side has no keys, a key is not 32 bytes, or an account id is empty
 */
export function safetyNumber(local: SafetyNumberParty, remote: SafetyNumberParty): SafetyNumberResult {
  const a = sideHash(local);
  const b = sideHash(remote);
  const da = digitsOf(a);
  const db = digitsOf(b);
  const [first, second] = da <= db ? [a, b] : [b, a];
  return {
    digits: da <= db ? da + db : db + da,
    qrPayload: `volly-sn:${SAFETY_NUMBER_VERSION}:${toBase64Url(first)}:${toBase64Url(second)}`,
  };
}

/** Formats 60 digits as 12 groups of 5 separated by spaces ("12345 67890 …"). */
export function formatSafetyNumber(digits: string): string {
  return (digits.match(/\d{1,5}/g) ?? []).join(" ");
}

function sideHash(party: SafetyNumberParty): Uint8Array {
  if (typeof party.accountId !== "string" || party.accountId.length === 0) {
    throw new TypeError("A safety number needs an account id on each side.");
  }
  if (party.keys.length === 0) throw new TypeError("A safety number needs at least one key per side.");
  for (const key of party.keys) {
    if (!(key instanceof Uint8Array) || key.length !== KEY_LENGTH) {
      throw new TypeError("Safety number keys are 32-byte Ed25519 public keys.");
    }
  }
  const sorted = [...party.keys].sort(compareBytes);
  const keys = concat(sorted);
  const version = new Uint8Array([(SAFETY_NUMBER_VERSION >> 8) & 0xff, SAFETY_NUMBER_VERSION & 0xff]);
  let hash = sha512(concat([version, keys, utf8(party.accountId)]));
  for (let i = 1; i < SAFETY_NUMBER_ITERATIONS; i++) hash = sha512(concat([hash, keys]));
  return hash.slice(0, 30);
}

function digitsOf(hash: Uint8Array): string {
  let out = "";
  for (let offset = 0; offset < 30; offset += 5) {
    let chunk = 0;
    for (let i = 0; i < 5; i++) chunk = chunk * 256 + hash[offset + i]!;
    out += String(chunk % 100000).padStart(5, "0");
  }
  return out;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
