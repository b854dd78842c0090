/**
 * The video a voice channel's publisher sends (its camera or a shared screen), on the publishing
 * PeerConnection of `voice-room.ts`: one send-only video transceiver, added the first time video is
 * turned on, VP8 first (its RTP packetizer does not parse the payload, so the fully sealed frame
 * travels, and Janus forwards VP8 RTP without decoding it), behind the channel's SFrame transform
 * like the microphone. Turning video off sets the transceiver `inactive`; turning it on again sets
 * it `sendonly`: each such change is a renegotiation (Janus VideoRoom `configure` with a new offer),
 * after which Janus lists the stream `disabled` or active again to the others (a `publishers`
 * event). Switching between camera and screen only replaces the track (no renegotiation).
 */
import { type CallMediaEncryption, preferVp8 } from "../calls/media-encryption.js";

/** One publisher's video slot; changes run one after the other. */
export class VoiceVideoSender {
  private transceiver: RTCRtpTransceiver | undefined;
  private chain: Promise<void> = Promise.resolve();

  /**
   * @param pc the publishing connection
   * @param stream the publisher's local stream (its `msid`)
   * @param encryption the channel's frame encryption (seals the video like the audio)
   * @param renegotiate sends a new offer to Janus and applies its answer
   */
  constructor(
    private readonly pc: RTCPeerConnection,
    private readonly stream: MediaStream,
    private readonly encryption: CallMediaEncryption,
    private readonly renegotiate: () => Promise<void>,
  ) {}

  /** The track sent now (undefined: no video). */
  get track(): MediaStreamTrack | undefined {
    const t = this.transceiver;
    return t && t.direction === "sendonly" ? (t.sender.track ?? undefined) : undefined;
  }

  /**
   * Sends `track` (a camera or screen track) or no video (`null`). Resolves once Janus took the new
   * session description (or at once when only the track changed).
   * @throws VollyError VOLLY_E_SFU_REFUSED, VOLLY_E_SFU_UNAVAILABLE from the renegotiation
   */
  set(track: MediaStreamTrack | null): Promise<void> {
    const next = this.chain.then(() => this.apply(track));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async apply(track: MediaStreamTrack | null): Promise<void> {
    const current = this.transceiver;
    if (!current) {
      if (!track) return;
      const transceiver = this.pc.addTransceiver(track, { direction: "sendonly", streams: [this.stream] });
      preferVp8(transceiver);
      // before the offer: Chromium applies a transform set later to nothing already made
      this.encryption.protectSender(transceiver.sender, "video");
      this.transceiver = transceiver;
      await this.renegotiate();
      return;
    }
    await current.sender.replaceTrack(track);
    const direction: RTCRtpTransceiverDirection = track ? "sendonly" : "inactive";
    if (current.direction === direction) return;
    current.direction = direction;
    await this.renegotiate();
  }
}
