/**
 * The media path of a 1:1 call: one `RTCPeerConnection` on the UI thread to the other side's device,
 * every sender and receiver behind the call's encoded transforms (`media-encryption.ts`), offer,
 * answer and ICE candidates exchanged through the call signaling (ephemeral MLS content). The
 * caller offers once the callee accepted; candidates that arrive before the remote description
 * wait for it.
 */
import type { CallMediaEncryption } from "./media-encryption.js";
import { preferVp8 } from "./media-encryption.js";

/** What the link sends through the call signaling (the store adds `callId` and `toDevice`). */
export type PeerSignal =
  | { type: "call.sdp"; description: { type: "offer" | "answer"; sdp: string } }
  | { type: "call.ice"; candidate: RTCIceCandidateInit & { candidate: string } };

/** What a {@link PeerLink} needs. */
export interface PeerLinkOptions {
  /** STUN/TURN servers (`client.calls.iceServers()`). */
  iceServers: RTCIceServer[];
  /** The call's media encryption: every sender and receiver gets its transform. */
  encryption: CallMediaEncryption;
  /** This side's microphone (and camera) stream. */
  local: MediaStream;
  /** Sends one signal to the other side's device. */
  send: (signal: PeerSignal) => void;
  /** The other side's media (one stream; tracks are added as they arrive). */
  remote: MediaStream;
  /** The connection's state changed. */
  onState: (state: RTCPeerConnectionState) => void;
  /** The other side's device, for a group call's per-peer frame counts (see `FrameCryptoStats`). */
  peer?: string;
  /** The ICE connection's state changed ("disconnected" and "failed" call for an ICE restart). */
  onIceState?: (state: RTCIceConnectionState) => void;
}

export class PeerLink {
  /** The connection (read by the call's debug handle for getStats). */
  readonly pc: RTCPeerConnection;
  private readonly queued: RTCIceCandidateInit[] = [];
  private readonly protectedReceivers = new WeakSet<RTCRtpReceiver>();
  private readonly protectedSenders = new WeakSet<RTCRtpSender>();

  constructor(private readonly options: PeerLinkOptions) {
    this.pc = new RTCPeerConnection({ iceServers: options.iceServers, bundlePolicy: "max-bundle" });
    this.pc.onicecandidate = (ev) => {
      const candidate = ev.candidate?.toJSON();
      if (candidate?.candidate)
        options.send({ type: "call.ice", candidate: { ...candidate, candidate: candidate.candidate } });
    };
    this.pc.ontrack = (ev) => {
      this.protectReceiver(ev.transceiver.receiver);
      if (!options.remote.getTracks().includes(ev.track)) options.remote.addTrack(ev.track);
    };
    this.pc.onconnectionstatechange = () => options.onState(this.pc.connectionState);
    this.pc.oniceconnectionstatechange = () => options.onIceState?.(this.pc.iceConnectionState);
  }

  /** The caller's side: one send-and-receive transceiver per local track, then the offer. */
  async offer(): Promise<void> {
    for (const track of this.options.local.getTracks()) {
      const transceiver = this.pc.addTransceiver(track, {
        direction: "sendrecv",
        streams: [this.options.local],
      });
      if (track.kind === "video") preferVp8(transceiver);
      this.protectSender(transceiver.sender, track.kind === "audio" ? "audio" : "video");
      this.protectReceiver(transceiver.receiver);
    }
    await this.pc.setLocalDescription(await this.pc.createOffer());
    this.sendDescription();
  }

  /**
   * Applies the other side's offer (callee: answers it, sending its own tracks on the offered
   * transceivers) or answer (caller).
   */
  async onDescription(description: { type: "offer" | "answer"; sdp: string }): Promise<void> {
    if (description.type === "offer" && this.pc.getTransceivers().length === 0) {
      // The callee's tracks go on transceivers made by addTrack before the offer is applied: the
      // offer's m-sections take them over (RFC 8829 §5.10), so each sender and receiver has its
      // transform before any description is applied. (Chromium 156 did not apply transforms set
      // later — on an offered transceiver's sender, or after setRemoteDescription — to the streams
      // it made meanwhile: frames went out and came in unsealed.)
      for (const track of this.options.local.getTracks()) {
        const sender = this.pc.addTrack(track, this.options.local);
        this.protectSender(sender, track.kind === "audio" ? "audio" : "video");
        const transceiver = this.pc.getTransceivers().find((t) => t.sender === sender);
        if (transceiver) this.protectReceiver(transceiver.receiver);
      }
    }
    await this.pc.setRemoteDescription(description);
    for (const candidate of this.queued.splice(0)) await this.addCandidate(candidate);
    if (description.type !== "offer") return;
    for (const transceiver of this.pc.getTransceivers()) {
      this.protectReceiver(transceiver.receiver);
      if (transceiver.receiver.track.kind === "video") preferVp8(transceiver);
    }
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    this.sendDescription();
  }

  /** Adds one of the other side's ICE candidates (held until the remote description is set). */
  async onCandidate(candidate: RTCIceCandidateInit): Promise<void> {
    if (!this.pc.remoteDescription) {
      this.queued.push(candidate);
      return;
    }
    await this.addCandidate(candidate);
  }

  /** Sends `track` instead of the camera (screen share) or the camera again; no renegotiation. */
  async replaceVideo(track: MediaStreamTrack | null): Promise<void> {
    await this.replaceTrack("video", track);
  }

  /**
   * Sends `track` on the sender of its kind instead of the one it had (another microphone or
   * camera, a shared screen): `RTCRtpSender.replaceTrack`, no renegotiation, and the sender keeps
   * its encoded transform, so the new track's frames are sealed like the old one's. Does nothing
   * when the link has no sender of that kind (a voice call's video, or before the offer).
   */
  async replaceTrack(kind: "audio" | "video", track: MediaStreamTrack | null): Promise<void> {
    const sender = this.pc.getSenders().find((s) => s.track?.kind === kind || this.senderOfKind(s, kind));
    await sender?.replaceTrack(track);
  }

  /**
   * Restarts ICE (RFC 8445 §9, RFC 8829 §4.1.10): a new offer with fresh ICE credentials, over
   * the same signaling; media keeps its transceivers and transforms. The caller's side calls it
   * when the connection is lost; the callee answers the offer as usual.
   */
  async restartIce(): Promise<void> {
    if (this.pc.signalingState === "closed") return;
    await this.pc.setLocalDescription(await this.pc.createOffer({ iceRestart: true }));
    this.sendDescription();
  }

  /** Closes the connection. */
  close(): void {
    this.pc.onicecandidate = null;
    this.pc.ontrack = null;
    this.pc.onconnectionstatechange = null;
    this.pc.oniceconnectionstatechange = null;
    this.pc.close();
  }

  private senderOfKind(sender: RTCRtpSender, kind: "audio" | "video"): boolean {
    return this.pc.getTransceivers().some((t) => t.sender === sender && t.receiver.track.kind === kind);
  }

  private async addCandidate(candidate: RTCIceCandidateInit): Promise<void> {
    try {
      await this.pc.addIceCandidate(candidate);
    } catch {
      // a candidate of a transport this side does not use (max-bundle): nothing to do
    }
  }

  private sendDescription(): void {
    const local = this.pc.localDescription;
    if (!local || (local.type !== "offer" && local.type !== "answer")) return;
    this.options.send({ type: "call.sdp", description: { type: local.type, sdp: local.sdp } });
  }

  private protectSender(sender: RTCRtpSender, kind: "audio" | "video"): void {
    if (this.protectedSenders.has(sender)) return;
    this.protectedSenders.add(sender);
    this.options.encryption.protectSender(sender, kind);
  }

  private protectReceiver(receiver: RTCRtpReceiver): void {
    if (this.protectedReceivers.has(receiver)) return;
    this.protectedReceivers.add(receiver);
    const kind = receiver.track.kind === "audio" ? "audio" : "video";
    this.options.encryption.protectReceiver(receiver, kind, undefined, this.options.peer);
  }
}
