/**
 * The messages between the UI thread and the call's frame-crypto worker (`frame-crypto-worker.ts`,
 * the worker every `RTCRtpScriptTransform` of a call runs in). Types only: loaded on both sides.
 */
import type { SFrameMlsEpoch } from "@volly/crypto/sframe";

/** The options each `RTCRtpScriptTransform` is made with (its `transformer.options` in the worker). */
export interface FrameTransformOptions {
  /** The call whose keys seal (send) or open (receive) the frames. */
  callId: string;
  /** Which way the frames go. */
  side: "send" | "receive";
  /** The track's kind. */
  kind: "audio" | "video";
  /** Received frames: whose they are (a group call's peer device), counted in `openedFrom`. */
  peer?: string;
}

/** What a call's frames went through so far (counts of frames). */
export interface FrameCryptoStats {
  /** Outgoing frames sealed and sent. */
  sealed: number;
  /** Outgoing frames dropped: no key yet. */
  unsealed: number;
  /** Incoming frames that opened and went on to the decoder. */
  opened: number;
  /** Of those, per peer (`FrameTransformOptions.peer`: a group call's device ids). */
  openedFrom: Record<string, number>;
  /** Of {@link opened}, the video frames (a voice channel's camera or shared screen). */
  openedVideo: number;
  /**
   * Incoming frames with no data at all (the RTP stack makes such frames, e.g. from padding:
   * w3c/webrtc-encoded-transform#310): nothing to open or decode, dropped, and no failure.
   */
  empty: number;
  /** Incoming frames dropped, by SFrame failure cause ("authentication", "unknown-kid", …). */
  dropped: Record<string, number>;
  /** Sealed frames whose plaintext appeared in the sent bytes (must stay 0). */
  plaintextVisible: number;
}

/** UI → worker. */
export type FrameCryptoRequest =
  /** Adds an epoch's keys for a call (RFC 9605 §5.2); the newest seals. */
  | { type: "epoch"; callId: string; epoch: SFrameMlsEpoch }
  /** Forgets an older epoch's keys once both sides moved on. */
  | { type: "retire"; callId: string; epoch: number }
  /** The call is over: forget its keys. */
  | { type: "end"; callId: string }
  /** Asks for the call's {@link FrameCryptoStats} (answered with the same `requestId`). */
  | { type: "stats"; callId: string; requestId: number }
  /**
   * Test only (the UI sends it only under its call debug flag): the receiving side drops its keys
   * for a random key of the same epoch, as a receiver without the call's key would be.
   */
  | { type: "forget-receive-keys"; callId: string };

/** Worker → UI: the answer to a "stats" request. */
export interface FrameCryptoStatsReply {
  type: "stats";
  requestId: number;
  stats: FrameCryptoStats;
}
