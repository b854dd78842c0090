import type { SFrameMlsEpoch } from "@volly/crypto";
import type { CallMedia, CallOutcome, CallSignalContent } from "@volly/protocol";
import type { MessageRecord } from "../messaging/message-records.js";
import type { Listeners } from "../shared/listeners.js";
import type { IceServers } from "./ice-servers.js";

/** A content type without its envelope (`v`, `id`, `sentAt`), for each member of a union. */
type WithoutEnvelope<T> = T extends unknown ? Omit<T, "v" | "id" | "sentAt"> : never;

/**
 * A call signal as an app sends it (`CallSignaling.send`): one of the call signaling kinds of
 * packages/protocol (`call.ring`, `call.accept`, `call.decline`, `call.hangup`, `call.sdp`,
 * `call.ice`, `call.state`) without the envelope the SDK adds (`v`, `id`, `sentAt`).
 */
export type CallSignal = WithoutEnvelope<CallSignalContent>;

/** A call signal received from another device (see {@link CallSignaling.signals}). */
export interface ReceivedCallSignal {
  /** The conversation it came in. */
  conversationId: string;
  /** The sending device (checked against its MLS credential). */
  fromDeviceId: string;
  /** The sending device's account (from its MLS credential): this account's own for its other devices. */
  fromAccountId: string;
  /** The sender's handle. */
  from: string;
  /** The signal, with its envelope (`id`, `sentAt`: the sender's clock, ms). */
  signal: CallSignalContent;
}

/**
 * `client.calls.signaling`: call signaling as ephemeral MLS content (DESIGN.md "Calls"). A signal
 * is encrypted for the conversation's group like a message (RFC 9420 §6.3) and relayed by the
 * server to the member devices connected now — never stored, never delivered later, so the server
 * sees neither SDP nor IP addresses, and a device that was offline never rings late.
 */
export interface CallSignaling {
  /**
   * Fires for each signal another device sent to a conversation this device is in (this
   * account's other devices included, e.g. one that accepted the call). `call.sdp` and `call.ice`
   * fire only on the device named in `toDevice`. Signals this device cannot decrypt are dropped
   * (reported to diagnostics as "ephemeral.undecryptable").
   */
  readonly signals: Listeners<ReceivedCallSignal>;

  /**
   * Sends one signal to a conversation's connected devices (every member device but this one);
   * resolves once the server accepted it for relay (HTTP 202), with the content as sent. Not
   * queued: while the server is unreachable it fails.
   *
   * @throws VOLLY_E_USAGE (a signal that breaks the schema's bounds), VOLLY_E_UNKNOWN_CONVERSATION,
   *   VOLLY_E_NOT_GROUP_MEMBER, VOLLY_E_SERVER_UNREACHABLE, VOLLY_E_RATE_LIMITED, and the server's
   *   refusals (e.g. VOLLY_E_FORBIDDEN in a community channel)
   */
  send(conversationId: string, signal: CallSignal): Promise<CallSignalContent>;
}

/** What {@link Calls.record} stores about a call that is over. */
export interface CallRecordInput {
  /** The call's id (the `callId` of its signals). */
  callId: string;
  /** Audio only, or video. */
  media: CallMedia;
  /** Nobody answered ("missed"), the callee "declined", or it was answered and "ended". */
  outcome: CallOutcome;
  /** For an answered call: from the answer to the hang-up (ms). */
  durationMs?: number;
}

/** A conversation's MLS epoch changed (see {@link Calls.epochChanges}). */
export interface CallEpochChange {
  /** The conversation whose group moved to a new epoch. */
  conversationId: string;
  /** The new epoch (RFC 9420 §8). */
  epoch: number;
}

/**
 * `client.calls`: voice and video calls — signaling, the timeline's call records, the media keys
 * (SFrame, RFC 9605, from the conversation's MLS group) and the STUN/TURN servers to connect with
 * (`iceServers()`, from {@link IceServers}).
 */
export interface Calls extends IceServers {
  /** Call signaling (ring, accept, decline, hang up, SDP, ICE), ephemeral. */
  readonly signaling: CallSignaling;

  /**
   * Records a call that is over in a conversation's timeline (a stored `call.event` message, sent
   * by the caller's device): every member's devices show e.g. "Missed call" or "Call, 3:12".
   * Queued like a message when the server is unreachable.
   *
   * @returns the record as stored on this device (status "sent", or "pending" while queued)
   * @throws VOLLY_E_USAGE (bad input), VOLLY_E_UNKNOWN_CONVERSATION, VOLLY_E_NOT_GROUP_MEMBER, and
   *   the server's refusals
   */
  record(conversationId: string, call: CallRecordInput): Promise<MessageRecord>;

  /**
   * The media keys of a call for the conversation's current MLS epoch: SFrame's `base_key`
   * exported from the group (RFC 9605 §5.2, with the call id as exporter context so each call has
   * its own), this device's leaf index and the members' — plain data to hand to
   * `MlsSFrameContext.setEpoch` of @volly/crypto in the worker that encrypts the frames. Every
   * member device derives the same; a device removed from the conversation cannot derive those of
   * later epochs. Call it again after {@link Calls.epochChanges} fires for the conversation.
   *
   * @param callId the call's id, as in its signals (1 … 256 UTF-8 bytes)
   * @throws VOLLY_E_UNKNOWN_CONVERSATION, VOLLY_E_NOT_GROUP_MEMBER (left or removed), VOLLY_E_USAGE
   *   (the account's own conversation), SFrameError "invalid-argument" (a bad call id)
   */
  mediaKeys(conversationId: string, callId: string): Promise<SFrameMlsEpoch>;

  /**
   * Fires after a conversation's group moved to a new epoch (a member joined or left, keys were
   * updated): calls in it fetch {@link Calls.mediaKeys} again, so a member who left cannot decrypt
   * the frames that follow.
   */
  readonly epochChanges: Listeners<CallEpochChange>;
}
