import { SFrameError } from "./errors.js";
import { SFRAME_MAX_VALUE } from "./header.js";

/** Default `E` of RFC 9605 §5.2: the KID carries the low 4 bits of the epoch (16 epochs in flight). */
export const DEFAULT_SFRAME_EPOCH_BITS = 4;

function checkEpochBits(epochBits: number): void {
  if (!Number.isInteger(epochBits) || epochBits < 1 || epochBits > 16) {
    throw new SFrameError("invalid-argument", "SFrame epoch bits (E) must be an integer in 1 … 16.");
  }
}

/**
 * The KID of an MLS sender (RFC 9605 §5.2) with context 0:
 * `KID = (sender_index << E) + (epoch mod 2^E)`. The sender index is the member's MLS leaf index
 * (RFC 9420 §4.1.1), constant while it stays in the group.
 *
 * @param senderIndex the sender's leaf index, a non-negative integer
 * @param epoch the MLS epoch, a non-negative integer
 * @param epochBits `E`, 1 … 16 (default 4)
 * @throws SFrameError "invalid-argument" on values out of range
 */
export function sframeMlsKid(
  senderIndex: number,
  epoch: number,
  epochBits = DEFAULT_SFRAME_EPOCH_BITS,
): bigint {
  checkEpochBits(epochBits);
  if (!Number.isSafeInteger(senderIndex) || senderIndex < 0 || !Number.isSafeInteger(epoch) || epoch < 0) {
    throw new SFrameError("invalid-argument", "The sender index and epoch must be non-negative integers.");
  }
  const e = BigInt(epochBits);
  const kid = (BigInt(senderIndex) << e) | (BigInt(epoch) & ((1n << e) - 1n));
  if (kid > SFRAME_MAX_VALUE)
    throw new SFrameError("invalid-argument", "The sender index is too large for a KID.");
  return kid;
}

/**
 * Splits an MLS sender's KID (RFC 9605 §5.2, context 0) into the sender's leaf index and the low
 * `E` bits of the epoch.
 *
 * @param kid a KID from a frame header
 * @param epochBits `E`, 1 … 16 (default 4)
 * @throws SFrameError "invalid-argument" on bad `E`; "unknown-kid" when the index is beyond 2^53
 */
export function parseSFrameMlsKid(
  kid: bigint,
  epochBits = DEFAULT_SFRAME_EPOCH_BITS,
): { senderIndex: number; epochLow: number } {
  checkEpochBits(epochBits);
  const e = BigInt(epochBits);
  const index = kid >> e;
  if (index > BigInt(Number.MAX_SAFE_INTEGER))
    throw new SFrameError("unknown-kid", "No MLS sender has this KID.", kid);
  return { senderIndex: Number(index), epochLow: Number(kid & ((1n << e) - 1n)) };
}
