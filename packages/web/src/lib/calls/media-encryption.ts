/**
 * End-to-end encryption of one call's media on the UI thread's side: a frame-crypto worker
 * (`frame-crypto-worker.ts`) and an `RTCRtpScriptTransform` on every sender and receiver of the
 * call's peer connection (WebRTC Encoded Transform), fed with the call's SFrame keys (RFC 9605 §5.2,
 * from `client.calls.mediaKeys`). No encoded transform in this browser → no call: media never goes
 * out unencrypted.
 */
import type { SFrameMlsEpoch } from "@volly/crypto/sframe";
import type {
  FrameCryptoRequest,
  FrameCryptoStats,
  FrameCryptoStatsReply,
  FrameTransformOptions,
} from "./frame-crypto-protocol.js";

/** Whether this browser can encrypt call media (WebRTC Encoded Transform in a worker). */
export function mediaEncryptionSupported(): boolean {
  return typeof RTCRtpScriptTransform === "function" && typeof RTCPeerConnection === "function";
}

/** The frame-crypto worker of one call and the transforms it runs. */
export class CallMediaEncryption {
  private readonly worker: Worker;
  private nextRequest = 1;
  private readonly pending = new Map<number, (stats: FrameCryptoStats) => void>();

  /** @param callId the call (its keys are exported for this id) */
  constructor(readonly callId: string) {
    this.worker = new Worker(new URL("./frame-crypto-worker.ts", import.meta.url), {
      type: "module",
      name: "volly-call-frames",
    });
    this.worker.onmessage = (ev: MessageEvent<FrameCryptoStatsReply>) => {
      const done = this.pending.get(ev.data.requestId);
      this.pending.delete(ev.data.requestId);
      done?.(ev.data.stats);
    };
  }

  private post(request: FrameCryptoRequest): void {
    this.worker.postMessage(request);
  }

  /**
   * Hands an epoch's keys to the worker; the newest epoch seals this device's frames.
   * @param callId whose keys they are: this call's by default; a voice channel gives each remote
   *   publisher's keys under the call id that publisher seals with (`lib/voice/voice-media.ts`)
   */
  setEpoch(epoch: SFrameMlsEpoch, callId = this.callId): void {
    this.post({ type: "epoch", callId, epoch });
  }

  /** Forgets an older epoch's keys (after the switch to a newer one). */
  retireEpoch(epoch: number, callId = this.callId): void {
    this.post({ type: "retire", callId, epoch });
  }

  /** Seals every frame `sender` sends (set before the track's first frame). */
  protectSender(sender: RTCRtpSender, kind: "audio" | "video"): void {
    const options: FrameTransformOptions = { callId: this.callId, side: "send", kind };
    sender.transform = new RTCRtpScriptTransform(this.worker, options);
  }

  /**
   * Opens every frame `receiver` gets; frames that do not open are dropped.
   * @param callId the keys that open them (default: this call's; see {@link setEpoch})
   * @param peer whose frames they are (a group call's peer device: counted per peer in the stats)
   */
  protectReceiver(
    receiver: RTCRtpReceiver,
    kind: "audio" | "video",
    callId = this.callId,
    peer?: string,
  ): void {
    const options: FrameTransformOptions = { callId, side: "receive", kind, ...(peer ? { peer } : {}) };
    receiver.transform = new RTCRtpScriptTransform(this.worker, options);
  }

  /** What the call's frames (or those under `callId`) went through so far. */
  stats(callId = this.callId): Promise<FrameCryptoStats> {
    const requestId = this.nextRequest++;
    return new Promise((resolve) => {
      this.pending.set(requestId, resolve);
      this.post({ type: "stats", callId, requestId });
    });
  }

  /** Test hook: the receiving side swaps its keys for random ones (a receiver without the key). */
  forgetReceiveKeys(callId = this.callId): void {
    this.post({ type: "forget-receive-keys", callId });
  }

  /** Forgets the call's keys and stops the worker. */
  close(): void {
    this.post({ type: "end", callId: this.callId });
    this.worker.terminate();
  }
}

/**
 * Puts VP8 first among a video transceiver's codecs: its RTP packetizer does not parse the frame,
 * so a fully sealed frame travels (H.264's packetizer looks for NAL units in the payload).
 */
export function preferVp8(transceiver: RTCRtpTransceiver): void {
  const codecs = RTCRtpReceiver.getCapabilities("video")?.codecs;
  if (!codecs) return;
  const vp8 = codecs.filter((c) => c.mimeType.toLowerCase() === "video/vp8");
  if (vp8.length === 0) return;
  transceiver.setCodecPreferences([
    ...vp8,
    ...codecs.filter((c) => c.mimeType.toLowerCase() !== "video/vp8"),
  ]);
}
