/**
 * SFrame cipher suites (RFC 9605 §4.5 and the IANA "SFrame Cipher Suites" registry, §8.1). Volly
 * implements the two AES-GCM suites: their AEAD is WebCrypto's AES-GCM (hardware AES in every
 * browser and in Node), so frames are sealed by the platform in a browser worker
 * (RTCRtpScriptTransform) as in Node. The AES-CTR + HMAC suites (0x0001–0x0003, short tags) are
 * not implemented.
 */

/** The IANA code point of an implemented SFrame cipher suite (RFC 9605 §8.1). */
export type SFrameCipherSuiteId = 0x0004 | 0x0005;

/** Constants of an SFrame cipher suite (RFC 9605 §4.4, table "SFrame Cipher Suite Constants"). */
export interface SFrameCipherSuite {
  /** IANA code point, 2 bytes big-endian in the key-derivation labels (§4.4.2). */
  readonly id: SFrameCipherSuiteId;
  /** Registry name, e.g. `AES_256_GCM_SHA512_128`. */
  readonly name: string;
  /** Hash of the HKDF (RFC 5869) used for key derivation. */
  readonly hash: "SHA-256" | "SHA-512";
  /** `Hash.Nh`: hash output size, bytes. */
  readonly nh: number;
  /** `AEAD.Nk`: AES key size, bytes (also the size of `base_key` exported from MLS, §5.2). */
  readonly nk: number;
  /** `AEAD.Nn`: nonce size, bytes. */
  readonly nn: number;
  /** `AEAD.Nt`: tag size (ciphertext overhead), bytes. */
  readonly nt: number;
}

/** `AES_128_GCM_SHA256_128` (0x0004): AES-128-GCM, HKDF-SHA256, 128-bit tag. */
export const AES_128_GCM_SHA256_128: SFrameCipherSuite = Object.freeze({
  id: 0x0004,
  name: "AES_128_GCM_SHA256_128",
  hash: "SHA-256",
  nh: 32,
  nk: 16,
  nn: 12,
  nt: 16,
});

/** `AES_256_GCM_SHA512_128` (0x0005): AES-256-GCM, HKDF-SHA512, 128-bit tag. Volly's default. */
export const AES_256_GCM_SHA512_128: SFrameCipherSuite = Object.freeze({
  id: 0x0005,
  name: "AES_256_GCM_SHA512_128",
  hash: "SHA-512",
  nh: 64,
  nk: 32,
  nn: 12,
  nt: 16,
});

/** The suite Volly calls use unless configured otherwise: AES_256_GCM_SHA512_128 (0x0005). */
export const DEFAULT_SFRAME_CIPHER_SUITE: SFrameCipherSuiteId = 0x0005;

/**
 * The constants of a cipher suite by its IANA code point (RFC 9605 §8.1).
 *
 * @param id 0x0004 or 0x0005
 * @throws TypeError on a code point that is not implemented (0x0001–0x0003 AES-CTR + HMAC, others)
 */
export function sframeCipherSuite(id: number): SFrameCipherSuite {
  if (id === 0x0004) return AES_128_GCM_SHA256_128;
  if (id === 0x0005) return AES_256_GCM_SHA512_128;
  throw new TypeError(`SFrame cipher suite 0x${id.toString(16).padStart(4, "0")} is not supported.`);
}
