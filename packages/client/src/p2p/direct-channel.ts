import type { Listeners } from "../shared/listeners.js";

/**
 * One open WebRTC data channel to a member device (reliable and ordered; W3C WebRTC §6.2), carrying
 * JSON text frames (packages/protocol `DirectFrame`). Provided by the platform: werift in Node
 * (`werift-peers.ts`), the browser's own RTCPeerConnection in the web app.
 */
export interface DirectChannel {
  /** Sends one text frame. Throws if the channel is closed. */
  send(text: string): void;
  /** Closes the channel and its peer connection (idempotent). */
  close(): void;
  /** Each text frame received. */
  readonly messages: Listeners<string>;
  /** Fires once when the channel or its connection closes or fails. */
  readonly closed: Listeners<void>;
}

/** The offering side of one direct connection (see {@link DirectPeerFactory.offer}). */
export interface DirectOffer {
  /** The offer's SDP with every ICE candidate gathered (non-trickle, RFC 8829 §5.2.1). */
  readonly sdp: string;
  /** Applies the peer's answer; resolves once the data channel is open, rejects on failure or timeout. */
  complete(answerSdp: string): Promise<DirectChannel>;
  /** Gives the connection up (idempotent). */
  cancel(): void;
}

/** The answering side of one direct connection (see {@link DirectPeerFactory.answer}). */
export interface DirectAnswer {
  /** The answer's SDP with every ICE candidate gathered. */
  readonly sdp: string;
  /** Resolves once the offerer's data channel is open here; rejects on failure or timeout. */
  readonly channel: Promise<DirectChannel>;
  /** Gives the connection up (idempotent). */
  cancel(): void;
}

/**
 * Makes WebRTC peer connections with one data channel each (JSEP offer/answer, RFC 8829). The SDP
 * carries the DTLS certificate's fingerprint (RFC 8842 §5), which the WebRTC stack checks: signaled
 * inside MLS, it binds the channel to the member device that sent the description.
 */
export interface DirectPeerFactory {
  /** Creates a connection and its data channel and returns the offer. */
  offer(): Promise<DirectOffer>;
  /**
   * Answers a remote offer.
   *
   * @throws VollyError VOLLY_E_BAD_REQUEST when the offer's SDP cannot be applied
   */
  answer(offerSdp: string): Promise<DirectAnswer>;
}
