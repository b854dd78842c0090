/**
 * `@volly/crypto/sframe`: the worker-safe part of the SFrame stack (RFC 9605) — no MLS (ts-mls), no
 * node:* — for the worker that transforms a call's encoded frames (RTCRtpScriptTransform). The
 * epoch data comes from `sframeMlsEpoch` (main entry) on the side that holds the MLS group, as a
 * plain {@link SFrameMlsEpoch} posted to the worker.
 */
export { SFrameError, type SFrameErrorCause } from "./errors.js";
export { decodeSFrameHeader } from "./header.js";
export { MlsSFrameContext, type MlsSFrameContextOptions, type MlsSFrameDecrypted } from "./mls-context.js";
export type { SFrameMlsEpoch } from "./mls-epoch.js";
export { DEFAULT_SFRAME_EPOCH_BITS, parseSFrameMlsKid, sframeMlsKid } from "./mls-kid.js";
