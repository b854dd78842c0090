import { expand, extract } from "@noble/hashes/hkdf.js";
import { sha256, sha512 } from "@noble/hashes/sha2.js";
import type { SFrameCipherSuite } from "./cipher-suites.js";
import { SFrameError } from "./errors.js";
import { SFRAME_MAX_VALUE } from "./header.js";

/** The secrets RFC 9605 §4.4.2 derives from one `base_key` for one KID. Secret: never log. */
export interface SFrameKeyMaterial {
  /** `sframe_secret = HKDF-Extract("", base_key)`, `Hash.Nh` bytes. */
  readonly sframeSecret: Uint8Array;
  /** `sframe_key`, `AEAD.Nk` bytes: the AES-GCM key. */
  readonly sframeKey: Uint8Array;
  /** `sframe_salt`, `AEAD.Nn` bytes: XORed with the CTR to make the nonce. */
  readonly sframeSalt: Uint8Array;
}

/** A key ready to seal or open frames: the imported AES-GCM key and the salt of one KID. */
export interface SFrameKey {
  /** The cipher suite the key was derived for. */
  readonly suite: SFrameCipherSuite;
  /** The KID the key was derived for (part of its derivation labels, §4.4.2). */
  readonly kid: bigint;
  /** WebCrypto AES-GCM key made from `sframe_key` (not extractable). */
  readonly aesKey: CryptoKey;
  /** `sframe_salt`, `AEAD.Nn` bytes. */
  readonly salt: Uint8Array;
}

const LABEL_KEY = new TextEncoder().encode("SFrame 1.0 Secret key ");
const LABEL_SALT = new TextEncoder().encode("SFrame 1.0 Secret salt ");

/**
 * A key-derivation label of RFC 9605 §4.4.2: `prefix + KID + cipher_suite`, the KID as an 8-byte
 * big-endian integer (not the header's compact form) and the suite as 2 bytes big-endian.
 */
function label(prefix: Uint8Array, kid: bigint, suite: SFrameCipherSuite): Uint8Array {
  const out = new Uint8Array(prefix.length + 10);
  out.set(prefix, 0);
  const view = new DataView(out.buffer);
  view.setBigUint64(prefix.length, kid);
  view.setUint16(prefix.length + 8, suite.id);
  return out;
}

/**
 * Derives `sframe_key` and `sframe_salt` for one KID from its `base_key` (RFC 9605 §4.4.2):
 *
 * ```
 * sframe_secret = HKDF-Extract("", base_key)
 * sframe_key  = HKDF-Expand(sframe_secret, "SFrame 1.0 Secret key "  + KID + cipher_suite, AEAD.Nk)
 * sframe_salt = HKDF-Expand(sframe_secret, "SFrame 1.0 Secret salt " + KID + cipher_suite, AEAD.Nn)
 * ```
 *
 * HKDF (RFC 5869) with the suite's hash, from @noble/hashes (synchronous; runs anywhere).
 *
 * @param suite the cipher suite
 * @param kid the KID the key is for, 0 … 2^64 − 1
 * @param baseKey the KID's `base_key` (any length; MLS gives `AEAD.Nk` bytes, §5.2)
 * @throws SFrameError (cause "invalid-argument") on a KID out of range or an empty base key
 */
export function deriveSFrameKeyMaterial(
  suite: SFrameCipherSuite,
  kid: bigint,
  baseKey: Uint8Array,
): SFrameKeyMaterial {
  if (typeof kid !== "bigint" || kid < 0n || kid > SFRAME_MAX_VALUE) {
    throw new SFrameError("invalid-argument", "The SFrame KID must be a bigint in 0 … 2^64 − 1.");
  }
  if (!(baseKey instanceof Uint8Array) || baseKey.length === 0) {
    throw new SFrameError("invalid-argument", "The SFrame base_key must be non-empty bytes.");
  }
  const hash = suite.hash === "SHA-512" ? sha512 : sha256;
  const sframeSecret = extract(hash, baseKey, new Uint8Array(0));
  return {
    sframeSecret,
    sframeKey: expand(hash, sframeSecret, label(LABEL_KEY, kid, suite), suite.nk),
    sframeSalt: expand(hash, sframeSecret, label(LABEL_SALT, kid, suite), suite.nn),
  };
}

/**
 * Derives (RFC 9605 §4.4.2, see {@link deriveSFrameKeyMaterial}) and imports the key of one KID:
 * the AES-GCM key goes into WebCrypto as non-extractable, and the derived bytes are zeroed.
 *
 * @param suite the cipher suite
 * @param kid the KID, 0 … 2^64 − 1
 * @param baseKey the KID's `base_key`
 * @throws SFrameError (cause "invalid-argument") as {@link deriveSFrameKeyMaterial}
 */
export async function importSFrameKey(
  suite: SFrameCipherSuite,
  kid: bigint,
  baseKey: Uint8Array,
): Promise<SFrameKey> {
  const material = deriveSFrameKeyMaterial(suite, kid, baseKey);
  try {
    const aesKey = await crypto.subtle.importKey(
      "raw",
      material.sframeKey as Uint8Array<ArrayBuffer>,
      { name: "AES-GCM" },
      false,
      ["encrypt", "decrypt"],
    );
    return { suite, kid, aesKey, salt: material.sframeSalt };
  } finally {
    material.sframeKey.fill(0);
    material.sframeSecret.fill(0);
  }
}
