import type { CallSignal, ReceivedCallSignal, VollyClient } from "@volly/client";
import { type CallIceCandidate, type IceServer, newId, VollyError } from "@volly/protocol";
import {
  MediaStreamTrack,
  RTCIceCandidate,
  RTCPeerConnection,
  type RTCRtpTransceiver,
  RtpHeader,
  RtpPacket,
  useOPUS,
} from "werift";
import { type CallFrameCounts, CallMediaKeys, type MediaKeySource } from "./call-media-keys.js";
import { OPUS_SAMPLES_PER_20MS, RtpClock } from "./opus-rtp.js";

/** How long {@link joinCall} waits for an answer and a connected peer by default (ms). */
export const DEFAULT_CALL_CONNECT_TIMEOUT_MS = 30_000;

/** Options of {@link joinCall}. */
export interface JoinCallOptions {
  /**
   * The `call.ring` to answer (from `client.calls.signaling.signals`): the participant accepts it
   * and answers the caller's offer. Omitted: the participant rings the conversation itself and
   * sends the offer to the first device that accepts.
   */
  ring?: ReceivedCallSignal;
  /**
   * Called with each received Opus frame that opened (RFC 7587: one RTP payload = one Opus
   * packet), and the sender's MLS leaf index. Frames that do not open never reach it.
   */
  onOpusFrame?: (frame: Uint8Array, from: { senderIndex: number }) => void;
  /** Where the call's SFrame keys come from (default `client.calls.mediaKeys`). */
  mediaKeys?: MediaKeySource;
  /** STUN/TURN servers (default `client.calls.iceServers()`). */
  iceServers?: IceServer[];
  /** Fail when the call is not connected within this many ms (default 30,000). */
  timeoutMs?: number;
}

/** A 1:1 call this Node participant is in (see {@link joinCall}). */
export interface NodeCall {
  /** The call's id (as in its signals, and the SFrame exporter context). */
  readonly callId: string;
  /** The conversation the call is in. */
  readonly conversationId: string;
  /** The other participant's device. */
  readonly peerDeviceId: string;
  /** Frames sealed and sent, opened, and dropped (live counts). */
  readonly counts: CallFrameCounts;
  /** Resolves with the reason when the call ends (either side hung up, or the connection failed). */
  readonly ended: Promise<string>;
  /**
   * Seals one Opus packet with SFrame (RFC 9605 §4.4.3) and sends it as one RTP packet (RFC 7587
   * §4.2). Packets go out in call order.
   *
   * @param frame one Opus packet (RFC 6716), e.g. 20 ms from an encoder
   * @param samples its duration at the 48 kHz RTP clock (RFC 7587 §4.1), default 960 (20 ms)
   * @throws RangeError (bad `samples`), SFrameError "no-key" (no keys), VollyError
   *   VOLLY_E_BAD_REQUEST once the call has ended
   */
  sendOpus(frame: Uint8Array, samples?: number): Promise<void>;
  /** Sends `call.hangup` (best effort) and closes the connection. Idempotent. */
  hangUp(reason?: string): Promise<void>;
}

/**
 * Joins a 1:1 audio call in a conversation as a Node participant (a bot or an agent): WebRTC
 * through werift, signaling as ephemeral MLS content (`client.calls.signaling`), and every Opus
 * frame end-to-end encrypted with SFrame (RFC 9605 §5.2: keys from the conversation's MLS group
 * for this call, re-keyed when its epoch changes). The peer is a browser (or another participant)
 * that seals each encoded frame with the same keys in an `RTCRtpScriptTransform`.
 *
 * Signaling: the caller sends `call.ring`; the callee's device sends `call.accept`; the caller
 * sends the offer to that device (`call.sdp`, `toDevice`), the callee answers; both trickle
 * candidates (`call.ice`, `null` at the end). Either side ends with `call.hangup`.
 *
 * @param client the participant's SDK client (connected)
 * A group conversation's call in the web app is a mesh (every joined device connects to every
 * other, the smaller device id offering); this function speaks only the 1:1 exchange (the caller
 * offers to the one device that accepted), so in a group it connects to the caller alone, and only
 * when the caller's device id is the smaller one. Answer group rings only where that is enough.
 *
 * @param conversationId the conversation (a direct conversation; see above for a group)
 * @param options the ring to answer, the frame callback, key and ICE sources, timeout
 * @returns the call once its peer connection is connected
 * @throws VollyError VOLLY_E_USAGE (a `ring` that is not a `call.ring` of this conversation),
 *   VOLLY_E_REQUEST_TIMEOUT with `details.cause` "declined" | "hung-up" | "failed" | "timeout",
 *   and what `mediaKeys` / `iceServers()` / `signaling.send` throw
 */
export async function joinCall(
  client: VollyClient,
  conversationId: string,
  options: JoinCallOptions = {},
): Promise<NodeCall> {
  const { ring } = options;
  if (ring !== undefined && (ring.signal.type !== "call.ring" || ring.conversationId !== conversationId)) {
    throw new VollyError("VOLLY_E_USAGE", "`ring` must be a call.ring received in this conversation.");
  }
  const callId = ring?.signal.callId ?? newId();
  const keys = await CallMediaKeys.open(client, conversationId, callId, options.mediaKeys);
  try {
    const iceServers = options.iceServers ?? (await client.calls.iceServers());
    const session = new CallSession(client, conversationId, callId, keys, iceServers, options);
    await session.start(ring);
    return session;
  } catch (err) {
    keys.close();
    throw err;
  }
}

/** One call's peer connection and signaling (the implementation of {@link NodeCall}). */
class CallSession implements NodeCall {
  readonly ended: Promise<string>;
  private readonly pc: RTCPeerConnection;
  private readonly track = new MediaStreamTrack({ kind: "audio" });
  private readonly clock = new RtpClock();
  private peer: string | undefined;
  private remoteSet = false;
  private readonly pendingCandidates: CallIceCandidate[] = [];
  private outgoing: Promise<unknown> = Promise.resolve();
  private sending: Promise<unknown> = Promise.resolve();
  private stopSignals: () => void = () => undefined;
  private finish: (reason: string) => void = () => undefined;
  private isEnded = false;

  constructor(
    private readonly client: VollyClient,
    readonly conversationId: string,
    readonly callId: string,
    private readonly keys: CallMediaKeys,
    iceServers: IceServer[],
    private readonly options: JoinCallOptions,
  ) {
    this.ended = new Promise((resolve) => {
      this.finish = resolve;
    });
    this.pc = new RTCPeerConnection({
      iceServers: iceServers.map((s) => ({
        urls: s.urls,
        ...(s.username === undefined ? {} : { username: s.username }),
        ...(s.credential === undefined ? {} : { credential: s.credential }),
      })),
      codecs: { audio: [useOPUS()], video: [] },
    });
  }

  get counts(): CallFrameCounts {
    return this.keys.counts;
  }

  get peerDeviceId(): string {
    return this.peer ?? "";
  }

  /** Rings or accepts, then runs offer/answer; resolves once connected. */
  async start(ring: ReceivedCallSignal | undefined): Promise<void> {
    const connected = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(callFailed("timeout", "The call did not connect in time.")),
        this.options.timeoutMs ?? DEFAULT_CALL_CONNECT_TIMEOUT_MS,
      );
      this.pc.connectionStateChange.subscribe((state) => {
        if (state === "connected") {
          clearTimeout(timer);
          resolve();
        } else if (state === "failed" || state === "closed") {
          clearTimeout(timer);
          reject(callFailed("failed", `The peer connection is ${state}.`));
          this.end(state === "failed" ? "connection failed" : "closed");
        }
      });
      void this.ended.then((reason) => {
        clearTimeout(timer);
        reject(callFailed(reason === "declined" ? "declined" : "hung-up", `The call ended: ${reason}.`));
      });
    });
    this.pc.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((rtp) => void this.receive(rtp.payload));
    });
    this.pc.onIceCandidate.subscribe((candidate) => {
      this.signal({
        type: "call.ice",
        callId: this.callId,
        toDevice: this.peer ?? "",
        candidate: toInit(candidate),
      });
    });
    this.stopSignals = this.client.calls.signaling.signals.add((received) => this.onSignal(received));
    try {
      if (ring === undefined) {
        await this.client.calls.signaling.send(this.conversationId, {
          type: "call.ring",
          callId: this.callId,
          media: "audio",
        });
      } else {
        this.peer = ring.fromDeviceId;
        await this.client.calls.signaling.send(this.conversationId, {
          type: "call.accept",
          callId: this.callId,
        });
      }
      await connected;
    } catch (err) {
      await this.hangUp(
        err instanceof VollyError && err.details?.cause === "timeout" ? "timeout" : undefined,
      );
      throw err;
    }
  }

  async sendOpus(frame: Uint8Array, samples: number = OPUS_SAMPLES_PER_20MS): Promise<void> {
    if (this.isEnded) throw new VollyError("VOLLY_E_BAD_REQUEST", "The call has ended.");
    const header = this.clock.next(samples);
    const sealed = this.keys.seal(frame);
    const run = this.sending.then(async () => {
      const payload = await sealed;
      if (this.isEnded) return;
      this.track.writeRtp(
        new RtpPacket(new RtpHeader({ ...header, payloadType: 0, marker: false }), Buffer.from(payload)),
      );
    });
    this.sending = run.catch(() => undefined);
    return run;
  }

  async hangUp(reason?: string): Promise<void> {
    if (this.isEnded) return;
    this.signal({ type: "call.hangup", callId: this.callId, ...(reason === undefined ? {} : { reason }) });
    await this.outgoing;
    this.end(reason ?? "hung up");
  }

  private end(reason: string): void {
    if (this.isEnded) return;
    this.isEnded = true;
    this.stopSignals();
    this.keys.close();
    void this.pc.close().catch(() => undefined);
    this.finish(reason);
  }

  private async receive(payload: Buffer): Promise<void> {
    const opened = await this.keys.open(
      new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength),
    );
    if (opened !== undefined) this.options.onOpusFrame?.(opened.frame, { senderIndex: opened.senderIndex });
  }

  /** Sends a signal after those sent before it (peers apply SDP before candidates); failures end nothing. */
  private signal(signal: CallSignal): void {
    this.outgoing = this.outgoing
      .then(() => this.client.calls.signaling.send(this.conversationId, signal))
      .catch(() => undefined);
  }

  private onSignal({ conversationId, fromDeviceId, signal }: ReceivedCallSignal): void {
    if (conversationId !== this.conversationId || signal.callId !== this.callId || this.isEnded) return;
    if (this.peer === undefined) {
      if (signal.type === "call.accept") {
        this.peer = fromDeviceId;
        void this.offer().catch((err: unknown) => this.end(`offer failed: ${String(err)}`));
      } else if (signal.type === "call.decline") this.end("declined");
      else if (signal.type === "call.hangup") this.end(signal.reason ?? "hung up");
      return;
    }
    if (fromDeviceId !== this.peer) return;
    if (signal.type === "call.hangup") this.end(signal.reason ?? "hung up");
    else if (signal.type === "call.sdp") {
      void this.onDescription(signal.description).catch((err: unknown) =>
        this.end(`bad description: ${String(err)}`),
      );
    } else if (signal.type === "call.ice") void this.onCandidate(signal.candidate);
  }

  private async offer(): Promise<void> {
    this.pc.addTransceiver(this.track, { direction: "sendrecv" });
    await this.pc.setLocalDescription(await this.pc.createOffer());
    this.sendDescription();
  }

  private async onDescription(description: { type: "offer" | "answer"; sdp: string }): Promise<void> {
    await this.pc.setRemoteDescription(description);
    this.remoteSet = true;
    for (const candidate of this.pendingCandidates.splice(0)) await this.addCandidate(candidate);
    if (description.type !== "offer") return;
    const audio = this.pc.getTransceivers().find((t: RTCRtpTransceiver) => t.kind === "audio");
    if (audio === undefined) throw new VollyError("VOLLY_E_BAD_REQUEST", "The offer has no audio.");
    audio.setDirection("sendrecv");
    await audio.sender.replaceTrack(this.track);
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    this.sendDescription();
  }

  private sendDescription(): void {
    const local = this.pc.localDescription;
    if (!local || (local.type !== "offer" && local.type !== "answer")) return;
    this.signal({
      type: "call.sdp",
      callId: this.callId,
      toDevice: this.peer ?? "",
      description: { type: local.type, sdp: local.sdp },
    });
  }

  private async onCandidate(candidate: CallIceCandidate | null): Promise<void> {
    if (candidate === null || candidate.candidate === "") return;
    if (!this.remoteSet) this.pendingCandidates.push(candidate);
    else await this.addCandidate(candidate);
  }

  private async addCandidate(candidate: CallIceCandidate): Promise<void> {
    await this.pc
      .addIceCandidate(
        new RTCIceCandidate({
          candidate: candidate.candidate,
          ...(typeof candidate.sdpMid === "string" ? { sdpMid: candidate.sdpMid } : {}),
          ...(typeof candidate.sdpMLineIndex === "number" ? { sdpMLineIndex: candidate.sdpMLineIndex } : {}),
        }),
      )
      .catch(() => undefined); // a candidate werift cannot use (e.g. mDNS, TCP) is skipped
  }
}

/** werift's candidate as the signaling schema's RTCIceCandidateInit (no undefined fields), or null at the end. */
function toInit(candidate: RTCIceCandidate | undefined): CallIceCandidate | null {
  if (candidate === undefined) return null;
  const json = candidate.toJSON();
  return {
    candidate: json.candidate,
    ...(json.sdpMid === undefined ? {} : { sdpMid: json.sdpMid }),
    ...(json.sdpMLineIndex === undefined ? {} : { sdpMLineIndex: json.sdpMLineIndex }),
    ...(json.usernameFragment === undefined ? {} : { usernameFragment: json.usernameFragment }),
  };
}

function callFailed(cause: "declined" | "hung-up" | "failed" | "timeout", message: string): VollyError {
  return new VollyError("VOLLY_E_REQUEST_TIMEOUT", message, { cause });
}
