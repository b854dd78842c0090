import { type Static, Type } from "@sinclair/typebox";
import { Id, Timestamp } from "./common.js";

/**
 * Call content (DESIGN.md "Calls"): signaling — ringing, answers, WebRTC session descriptions
 * (RFC 8829 JSEP offer/answer) and ICE candidates (RFC 8839) — travels as ephemeral MLS content
 * (`ephemeral.ts`: relayed to connected devices, never stored), so the server sees neither SDP nor
 * IP addresses; `call.event` is the one stored kind, the timeline's record of a call. Every string
 * is bounded; a content over a bound is malformed and dropped by receivers.
 */

/** Size bounds of call content (characters). */
export const CALL_LIMITS = {
  /** Longest SDP of one session description (a video offer with simulcast is ~6–12 K). */
  sdpChars: 32 * 1024,
  /** Longest ICE candidate attribute line (RFC 8839 §5.1; real ones are ~100–200). */
  candidateChars: 1024,
  /** Longest media stream identification tag (RFC 9143 `a=mid`). */
  midChars: 64,
  /** Longest ICE username fragment (RFC 8839 §5.4: 4–256 characters). */
  usernameFragmentChars: 256,
  /** Longest hang-up reason. */
  reasonChars: 128,
  /** Longest call duration a `call.event` may state (ms): one week. */
  maxDurationMs: 7 * 24 * 60 * 60 * 1000,
} as const;

/** What a call carries: audio only, or audio and video. */
export const CallMedia = Type.Union([Type.Literal("audio"), Type.Literal("video")]);
export type CallMedia = Static<typeof CallMedia>;

/** The envelope fields of every content kind: version, the content's id, when it was sent (ms). */
const envelope = { v: Type.Literal(1), id: Id, sentAt: Timestamp } as const;

/** The call a signal belongs to: a random id the caller chooses (one per call). */
const CallId = Id;

/** The caller's device rings every device of the other members (`call.ring`, ephemeral). */
export const CallRingContent = Type.Object({
  ...envelope,
  type: Type.Literal("call.ring"),
  callId: CallId,
  media: CallMedia,
});
export type CallRingContent = Static<typeof CallRingContent>;

/** A device accepts the call (its account's other devices stop ringing). Ephemeral. */
export const CallAcceptContent = Type.Object({
  ...envelope,
  type: Type.Literal("call.accept"),
  callId: CallId,
});
export type CallAcceptContent = Static<typeof CallAcceptContent>;

/** A device declines the call (its account's other devices stop ringing). Ephemeral. */
export const CallDeclineContent = Type.Object({
  ...envelope,
  type: Type.Literal("call.decline"),
  callId: CallId,
});
export type CallDeclineContent = Static<typeof CallDeclineContent>;

/** A device ends or leaves the call (or the caller cancels before an answer). Ephemeral. */
export const CallHangupContent = Type.Object({
  ...envelope,
  type: Type.Literal("call.hangup"),
  callId: CallId,
  reason: Type.Optional(Type.String({ minLength: 1, maxLength: CALL_LIMITS.reasonChars })),
});
export type CallHangupContent = Static<typeof CallHangupContent>;

/** A WebRTC session description (RTCSessionDescriptionInit of type offer or answer; JSEP, RFC 8829). */
export const CallSessionDescription = Type.Object(
  {
    type: Type.Union([Type.Literal("offer"), Type.Literal("answer")]),
    sdp: Type.String({ minLength: 1, maxLength: CALL_LIMITS.sdpChars }),
  },
  { additionalProperties: false },
);
export type CallSessionDescription = Static<typeof CallSessionDescription>;

/** An offer or answer for one peer device (`toDevice`); other devices ignore it. Ephemeral. */
export const CallSdpContent = Type.Object({
  ...envelope,
  type: Type.Literal("call.sdp"),
  callId: CallId,
  toDevice: Id,
  description: CallSessionDescription,
});
export type CallSdpContent = Static<typeof CallSdpContent>;

/** An ICE candidate as WebRTC gives it (the shape of RTCIceCandidateInit, W3C WebRTC §4.8.1.1). */
export const CallIceCandidate = Type.Object(
  {
    candidate: Type.String({ maxLength: CALL_LIMITS.candidateChars }),
    sdpMid: Type.Optional(Type.Union([Type.String({ maxLength: CALL_LIMITS.midChars }), Type.Null()])),
    sdpMLineIndex: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 65_535 }), Type.Null()])),
    usernameFragment: Type.Optional(
      Type.Union([Type.String({ maxLength: CALL_LIMITS.usernameFragmentChars }), Type.Null()]),
    ),
  },
  { additionalProperties: false },
);
export type CallIceCandidate = Static<typeof CallIceCandidate>;

/**
 * A trickled ICE candidate for one peer device (`toDevice`), or `null` at the end of candidates.
 * Ephemeral; other devices ignore it.
 */
export const CallIceContent = Type.Object({
  ...envelope,
  type: Type.Literal("call.ice"),
  callId: CallId,
  toDevice: Id,
  candidate: Type.Union([CallIceCandidate, Type.Null()]),
});
export type CallIceContent = Static<typeof CallIceContent>;

/**
 * A participant's microphone and camera state in a group call (its tile shows "muted", or its
 * avatar for a camera that is off). Sent to every member device when it changes and when a device
 * joins (so the newcomer learns it); ephemeral.
 */
export const CallStateContent = Type.Object({
  ...envelope,
  type: Type.Literal("call.state"),
  callId: CallId,
  muted: Type.Boolean(),
  cameraOff: Type.Boolean(),
});
export type CallStateContent = Static<typeof CallStateContent>;

/** Every ephemeral call signaling kind. */
export const CallSignalContent = Type.Union([
  CallRingContent,
  CallAcceptContent,
  CallDeclineContent,
  CallHangupContent,
  CallSdpContent,
  CallIceContent,
  CallStateContent,
]);
export type CallSignalContent = Static<typeof CallSignalContent>;

/** How a call ended, as the timeline tells it. */
export const CallOutcome = Type.Union([
  Type.Literal("missed"),
  Type.Literal("declined"),
  Type.Literal("ended"),
]);
export type CallOutcome = Static<typeof CallOutcome>;

/**
 * The timeline's record of a call (stored like a message): sent by the caller's device when the
 * call is over — "missed" (nobody answered), "declined", or "ended" with `durationMs` from the
 * answer to the hang-up. Receivers show e.g. "Missed call" or "Call, 3:12".
 */
export const CallEventContent = Type.Object({
  ...envelope,
  type: Type.Literal("call.event"),
  callId: CallId,
  media: CallMedia,
  outcome: CallOutcome,
  durationMs: Type.Optional(Type.Integer({ minimum: 0, maximum: CALL_LIMITS.maxDurationMs })),
});
export type CallEventContent = Static<typeof CallEventContent>;
