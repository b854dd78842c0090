import { utf8 } from "@volly/protocol";
import type { MlsGroup } from "../api.js";
import { exportSecret, groupEpoch, groupMembers, type MlsSuite, ownLeafIndex } from "../mls.js";
import { DEFAULT_SFRAME_CIPHER_SUITE, type SFrameCipherSuiteId, sframeCipherSuite } from "./cipher-suites.js";
import { SFrameError } from "./errors.js";

/** The MLS exporter label of RFC 9605 §5.2. */
export const SFRAME_MLS_EXPORTER_LABEL = "SFrame 1.0 Base Key";

/**
 * What a call's SFrame stack needs from one MLS epoch: plain data (structured-cloneable, so it can
 * be posted to the worker running the encoded transform). Secret: `baseKey`.
 */
export interface SFrameMlsEpoch {
  /** SFrame cipher suite (IANA code point) the base key was exported for. */
  readonly cipherSuite: SFrameCipherSuiteId;
  /** The MLS epoch (RFC 9420 §8). */
  readonly epoch: number;
  /** `base_key`, `AEAD.Nk` bytes, shared by all members of the epoch (RFC 9605 §5.2). */
  readonly baseKey: Uint8Array;
  /** This device's leaf index: its frames use KID `sframeMlsKid(ownSenderIndex, epoch)`. */
  readonly ownSenderIndex: number;
  /** Leaf indices of every member of the epoch (this device included), ascending. */
  readonly senderIndices: readonly number[];
}

/**
 * Exports the SFrame `base_key` of the group's current epoch for one call (RFC 9605 §5.2):
 *
 * ```
 * base_key = MLS-Exporter("SFrame 1.0 Base Key", context = UTF-8(callId), AEAD.Nk)
 * ```
 *
 * RFC 9605 uses an empty context; Volly puts the call id there so that every call of a conversation
 * has its own keys (two calls in one epoch never share a key, and a frame of one call never opens
 * in another). Each member's frame keys then come from this `base_key` and the member's KID
 * (`sframeMlsKid`, which holds the leaf index and the epoch's low bits) through the §4.4.2 labels,
 * so every sender has distinct `sframe_key`/`sframe_salt`. A member removed by a commit does not
 * have the new epoch's exporter secret, so it cannot derive the keys that follow.
 *
 * @param suite the group's MLS suite (from loadSuite)
 * @param group a live group state of this device
 * @param callId the call's id (1 … 256 UTF-8 bytes), as carried by the call signaling
 * @param cipherSuite SFrame cipher suite, 0x0005 (default) or 0x0004
 * @throws SFrameError "invalid-argument" on an empty or over-long call id; TypeError on an
 *   unsupported cipher suite; Error on a consumed group handle
 */
export async function sframeMlsEpoch(
  suite: MlsSuite,
  group: MlsGroup,
  callId: string,
  cipherSuite: number = DEFAULT_SFRAME_CIPHER_SUITE,
): Promise<SFrameMlsEpoch> {
  const sframeSuite = sframeCipherSuite(cipherSuite);
  const context = typeof callId === "string" ? utf8(callId) : new Uint8Array(0);
  if (context.length === 0 || context.length > 256) {
    throw new SFrameError("invalid-argument", "The call id must be 1 … 256 UTF-8 bytes.");
  }
  const baseKey = await exportSecret(suite, group, SFRAME_MLS_EXPORTER_LABEL, context, sframeSuite.nk);
  return {
    cipherSuite: sframeSuite.id,
    epoch: groupEpoch(group),
    baseKey,
    ownSenderIndex: ownLeafIndex(group),
    senderIndices: groupMembers(group).map((m) => m.leafIndex),
  };
}
