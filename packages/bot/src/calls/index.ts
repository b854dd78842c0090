/**
 * `@volly/bot/calls`: a Node participant in Volly calls — a bot or an agent joins a 1:1 audio call
 * (WebRTC through werift, pure TypeScript) with every Opus frame end-to-end encrypted by SFrame
 * (RFC 9605 §5.2) under keys from the conversation's MLS group. Node only; kept out of the
 * package's main entry so importing `@volly/bot` does not load a WebRTC stack. See README.md.
 */
export {
  type CallFrameCounts,
  CallMediaKeys,
  type MediaKeySource,
  RETIRE_PREVIOUS_EPOCH_AFTER_MS,
} from "./call-media-keys.js";
export {
  DEFAULT_CALL_CONNECT_TIMEOUT_MS,
  type JoinCallOptions,
  joinCall,
  type NodeCall,
} from "./join-call.js";
export { OpusCodec, pcmRms, sineTone } from "./opus-codec.js";
export { OPUS_RTP_CLOCK_RATE, OPUS_SAMPLES_PER_20MS, RtpClock } from "./opus-rtp.js";
