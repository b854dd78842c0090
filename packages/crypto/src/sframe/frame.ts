import { SFrameError } from "./errors.js";
import { decodeSFrameHeader, encodeSFrameHeader, SFRAME_MAX_VALUE } from "./header.js";
import type { SFrameKey } from "./key-schedule.js";

const EMPTY = new Uint8Array(0);

/**
 * The AEAD nonce of a frame (RFC 9605 §4.4.3): `sframe_salt XOR encode_big_endian(CTR, AEAD.Nn)`.
 *
 * @param salt `sframe_salt`, `AEAD.Nn` (≥ 8) bytes
 * @param ctr the frame's counter, 0 … 2^64 − 1
 */
export function sframeNonce(salt: Uint8Array, ctr: bigint): Uint8Array<ArrayBuffer> {
  const nonce = salt.slice();
  const view = new DataView(nonce.buffer);
  const at = nonce.length - 8;
  view.setBigUint64(at, view.getBigUint64(at) ^ ctr);
  return nonce;
}

/**
 * `bytes` itself when it views an ArrayBuffer, else a copy: WebCrypto refuses views of a
 * SharedArrayBuffer.
 */
function ownBytes(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : bytes.slice();
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  if (b.length === 0) return ownBytes(a);
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/**
 * Encrypts one frame (RFC 9605 §4.4.3): `header = encode_sframe_header(CTR, KID)`,
 * `aad = header + metadata`, result `header + AEAD.Encrypt(sframe_key, nonce, aad, plaintext)`.
 * Stateless: the caller guarantees each (key, CTR) is used once (§7.1) — {@link SFrameContext} does.
 *
 * @param key the sender's key for its KID (from importSFrameKey)
 * @param ctr the frame counter, 0 … 2^64 − 1, never reused under `key`
 * @param plaintext the frame
 * @param metadata application metadata authenticated but not sent (§7.4); empty by default
 * @returns the SFrame ciphertext: header, ciphertext, 16-byte tag
 * @throws SFrameError (cause "invalid-argument") on a CTR out of range
 */
export async function sframeEncrypt(
  key: SFrameKey,
  ctr: bigint,
  plaintext: Uint8Array,
  metadata: Uint8Array = EMPTY,
): Promise<Uint8Array> {
  if (typeof ctr !== "bigint" || ctr < 0n || ctr > SFRAME_MAX_VALUE) {
    throw new SFrameError("invalid-argument", "The SFrame CTR must be a bigint in 0 … 2^64 − 1.", key.kid);
  }
  const header = encodeSFrameHeader({ kid: key.kid, ctr });
  const sealed = await crypto.subtle.encrypt(
    {
      name: "AES-GCM",
      iv: sframeNonce(key.salt, ctr),
      additionalData: concat(header, metadata),
      tagLength: 128,
    },
    key.aesKey,
    ownBytes(plaintext),
  );
  const out = new Uint8Array(header.length + sealed.byteLength);
  out.set(header, 0);
  out.set(new Uint8Array(sealed), header.length);
  return out;
}

/**
 * Decrypts one SFrame ciphertext with the key of its KID (RFC 9605 §4.4.4). Stateless: no replay
 * check (see {@link SFrameContext}).
 *
 * @param key the key for the header's KID
 * @param ciphertext header + ciphertext + tag, as {@link sframeEncrypt} produced it
 * @param metadata the same metadata the sender authenticated; empty by default
 * @returns the plaintext frame
 * @throws SFrameError cause "malformed" (bad header, shorter than a tag), "unknown-kid" (the header's
 *   KID is not `key.kid`), "authentication" (tag mismatch: wrong key, tampered bytes or metadata)
 */
export async function sframeDecrypt(
  key: SFrameKey,
  ciphertext: Uint8Array,
  metadata: Uint8Array = EMPTY,
): Promise<Uint8Array> {
  const header = decodeSFrameHeader(ciphertext);
  if (header.kid !== key.kid) {
    throw new SFrameError("unknown-kid", "The frame's KID is not the key's KID.", header.kid);
  }
  return openWith(key, ciphertext, header.ctr, header.length, metadata);
}

/** AEAD.Decrypt of a ciphertext whose header (`headerLength` bytes, CTR `ctr`) is already parsed. */
export async function openWith(
  key: SFrameKey,
  ciphertext: Uint8Array,
  ctr: bigint,
  headerLength: number,
  metadata: Uint8Array,
): Promise<Uint8Array> {
  if (ciphertext.length - headerLength < key.suite.nt) {
    throw new SFrameError("malformed", "The SFrame ciphertext is shorter than its tag.", key.kid);
  }
  try {
    const plain = await crypto.subtle.decrypt(
      {
        name: "AES-GCM",
        iv: sframeNonce(key.salt, ctr),
        additionalData: concat(ciphertext.subarray(0, headerLength), metadata),
        tagLength: 128,
      },
      key.aesKey,
      ownBytes(ciphertext.subarray(headerLength)),
    );
    return new Uint8Array(plain);
  } catch {
    throw new SFrameError("authentication", "The SFrame ciphertext does not authenticate.", key.kid);
  }
}
