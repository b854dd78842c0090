/**
 * One subscription in a voice channel's Janus VideoRoom: a receive-only PeerConnection with a
 * VideoRoom subscriber handle for one publisher's streams (its microphone, and its camera or screen
 * while it sends one). Every receiver gets the channel's SFrame transform for its kind (the worker
 * keeps one SFrame context per kind to open, `../calls/frame-crypto-worker.ts`), set in `ontrack`,
 * before any frame; the session descriptions say `e2ee` both ways.
 */
import {
  type JanusJsep,
  matches,
  VideoRoomAttached,
  type VideoRoomPublisher,
  type VoiceSfuAccess,
  VollyError,
} from "@volly/protocol";
import type { CallMediaEncryption } from "../calls/media-encryption.js";
import type { JanusSocket } from "./janus-socket.js";

/** Another participant's media as this side receives it. */
export interface RemoteFeed {
  /** The participant id in the room (the server's `participantId` of that member). */
  id: number;
  /** What the publisher joined with as `display` (see `VoiceRoomOptions.display`). */
  display: string | undefined;
  /** The call id its frames are sealed under (what `VoiceRoomOptions.prepareFeed` answered). */
  callId: string;
  /** Its audio (one track once it arrived). */
  stream: MediaStream;
  /** Its video (camera or screen), while it sends one. */
  video: MediaStream | undefined;
  /** The receive-only connection (read for getStats). */
  pc: RTCPeerConnection;
}

/** What a {@link FeedSubscription} needs of its room. */
export interface SubscriberContext {
  janus: JanusSocket;
  access: VoiceSfuAccess;
  iceServers: RTCIceServer[];
  encryption: CallMediaEncryption;
}

/** A subscription to one publisher, from {@link start} until {@link close}. */
export class FeedSubscription {
  readonly feed: RemoteFeed;
  private handle = 0;
  private closed = false;

  /**
   * @param publisher the publisher as Janus listed it
   * @param videoMids the mids of the video it sent when listed (compared to later listings)
   */
  constructor(
    private readonly context: SubscriberContext,
    publisher: VideoRoomPublisher,
    readonly videoMids: string,
  ) {
    const pc = new RTCPeerConnection({ iceServers: context.iceServers, bundlePolicy: "max-bundle" });
    this.feed = {
      id: publisher.id,
      display: publisher.display,
      callId: "",
      stream: new MediaStream(),
      video: undefined,
      pc,
    };
  }

  /**
   * Joins as a subscriber to every stream of the publisher, answers Janus's offer and starts.
   * @param callId the call id the publisher's frames are sealed under (its keys are in the worker)
   * @param onHangup Janus hung up this subscription's PeerConnection
   * @throws VollyError VOLLY_E_SFU_REFUSED (e.g. the publisher left), VOLLY_E_SFU_UNAVAILABLE,
   *   VOLLY_E_INTERNAL (an unexpected answer, or closed meanwhile)
   */
  async start(callId: string, onHangup: () => void): Promise<void> {
    const { janus, access, encryption } = this.context;
    const { feed } = this;
    const pc = feed.pc;
    feed.callId = callId;
    this.handle = await janus.attach((event) => {
      if (event.janus === "hangup") onHangup();
    });
    if (this.closed) {
      janus.detach(this.handle);
      throw unexpectedAnswer("subscribe (closed meanwhile)");
    }
    pc.onicecandidate = (ev) => janus.trickle(this.handle, ev.candidate?.toJSON() ?? null);
    pc.ontrack = (ev) => {
      // set while the receiver is made (ontrack runs inside setRemoteDescription), before any frame
      const kind = ev.track.kind === "video" ? "video" : "audio";
      encryption.protectReceiver(ev.receiver, kind, feed.callId);
      if (kind === "audio") feed.stream.addTrack(ev.track);
      else {
        feed.video = feed.video ?? new MediaStream();
        feed.video.addTrack(ev.track);
      }
    };
    const attached = await janus.send(this.handle, {
      request: "join",
      ptype: "subscriber",
      room: access.room,
      streams: [{ feed: feed.id }],
      token: access.token,
    });
    if (!matches(VideoRoomAttached, attached.data) || attached.jsep?.type !== "offer")
      throw unexpectedAnswer("subscribe");
    await pc.setRemoteDescription(attached.jsep);
    await pc.setLocalDescription(await pc.createAnswer());
    const answer = pc.localDescription as RTCSessionDescription;
    const jsep: JanusJsep = { type: "answer", sdp: answer.sdp, e2ee: true };
    await janus.send(this.handle, { request: "start" }, jsep);
  }

  /** Hangs up the connection and detaches the handle. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.feed.pc.close();
    if (this.handle) this.context.janus.detach(this.handle);
  }
}

/** The error of an answer of Janus that does not have the expected shape. */
export function unexpectedAnswer(what: string): VollyError {
  return new VollyError("VOLLY_E_INTERNAL", `Unexpected answer of the voice server to ${what}.`, { what });
}
