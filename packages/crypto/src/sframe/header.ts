import { SFrameError } from "./errors.js";

/** The largest KID or CTR an SFrame header carries: 2^64 − 1 (8-byte field, RFC 9605 §4.3). */
export const SFRAME_MAX_VALUE = (1n << 64n) - 1n;

/** The longest SFrame header: config byte + 8-byte KID + 8-byte CTR (RFC 9605 §4.3). */
export const SFRAME_MAX_HEADER_BYTES = 17;

/** The two values of an SFrame header (RFC 9605 §4.3). */
export interface SFrameHeader {
  /** Key ID: selects the `base_key` (0 … 2^64 − 1). */
  readonly kid: bigint;
  /** Counter: makes the nonce unique under that key (0 … 2^64 − 1). */
  readonly ctr: bigint;
}

/** A parsed SFrame header and where it ends. */
export interface DecodedSFrameHeader extends SFrameHeader {
  /** Length of the encoded header, bytes (1 … 17): the ciphertext starts there. */
  readonly length: number;
}

/** Bytes needed to encode `value` big-endian without leading zero bytes (1 … 8). */
function byteLength(value: bigint): number {
  let n = 1;
  while (value >> BigInt(8 * n) !== 0n) n += 1;
  return n;
}

function checkValue(value: bigint, field: "KID" | "CTR"): void {
  if (typeof value !== "bigint" || value < 0n || value > SFRAME_MAX_VALUE) {
    throw new SFrameError("invalid-argument", `The SFrame ${field} must be a bigint in 0 … 2^64 − 1.`);
  }
}

/**
 * Encodes an SFrame header (RFC 9605 §4.3): a config byte `X|K|Y|C`, then the KID and the CTR as
 * minimal big-endian integers when they do not fit in the 3-bit K / C fields (values 0–7 are
 * carried in the config byte itself).
 *
 * @param header KID and CTR, each 0 … 2^64 − 1
 * @returns 1 to 17 bytes
 * @throws SFrameError (cause "invalid-argument") on a value outside 0 … 2^64 − 1
 */
export function encodeSFrameHeader(header: SFrameHeader): Uint8Array {
  const { kid, ctr } = header;
  checkValue(kid, "KID");
  checkValue(ctr, "CTR");
  const kidBytes = kid < 8n ? 0 : byteLength(kid);
  const ctrBytes = ctr < 8n ? 0 : byteLength(ctr);
  const out = new Uint8Array(1 + kidBytes + ctrBytes);
  const k = kidBytes === 0 ? Number(kid) : 0x8 | (kidBytes - 1);
  const c = ctrBytes === 0 ? Number(ctr) : 0x8 | (ctrBytes - 1);
  out[0] = (k << 4) | c;
  for (let i = 0; i < kidBytes; i += 1) out[1 + i] = Number((kid >> BigInt(8 * (kidBytes - 1 - i))) & 0xffn);
  for (let i = 0; i < ctrBytes; i += 1) {
    out[1 + kidBytes + i] = Number((ctr >> BigInt(8 * (ctrBytes - 1 - i))) & 0xffn);
  }
  return out;
}

/**
 * Parses the SFrame header at the start of `bytes` (RFC 9605 §4.3), strictly: an extended KID or
 * CTR must use the minimum number of bytes ("MUST be encoded with the minimum number of bytes") and
 * be ≥ 8, so every (KID, CTR) has exactly one encoding and a re-encoded header is byte-identical.
 *
 * @param bytes an SFrame ciphertext (or just its header); only the header is read
 * @returns KID, CTR and the header length in bytes
 * @throws SFrameError (cause "malformed") on an empty input, a header running past the end of
 *   `bytes`, or a non-minimal encoding
 */
export function decodeSFrameHeader(bytes: Uint8Array): DecodedSFrameHeader {
  const config = bytes[0];
  if (config === undefined) throw new SFrameError("malformed", "The SFrame ciphertext is empty.");
  let offset = 1;
  const field = (nibble: number, name: "KID" | "CTR"): bigint => {
    if ((nibble & 0x8) === 0) return BigInt(nibble);
    const length = (nibble & 0x7) + 1;
    if (offset + length > bytes.length) {
      throw new SFrameError("malformed", `The SFrame header's ${name} runs past the end of the frame.`);
    }
    if (bytes[offset] === 0) {
      throw new SFrameError(
        "malformed",
        `The SFrame header's ${name} has a leading zero byte (not minimal).`,
      );
    }
    let value = 0n;
    for (let i = 0; i < length; i += 1) value = (value << 8n) | BigInt(bytes[offset + i]!);
    offset += length;
    if (value < 8n) {
      throw new SFrameError(
        "malformed",
        `The SFrame header's ${name} ${value} should be in the config byte.`,
      );
    }
    return value;
  };
  const kid = field(config >> 4, "KID");
  const ctr = field(config & 0xf, "CTR");
  return { kid, ctr, length: offset };
}
