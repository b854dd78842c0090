/**
 * Opus over RTP (RFC 7587): what the Node call participant needs to packetize and depacketize.
 * One RTP packet carries exactly one Opus packet (§4.2) — the same unit an encoded transform
 * (`RTCRtpScriptTransform`) hands to the browser's SFrame worker, so an SFrame ciphertext of one
 * Opus frame is one RTP payload on both sides.
 */

/** The RTP clock rate of Opus, whatever the audio's real sample rate (RFC 7587 §4.1): 48 kHz. */
export const OPUS_RTP_CLOCK_RATE = 48_000;

/** Samples of one 20 ms Opus frame at the 48 kHz RTP clock: the timestamp step per packet (RFC 7587 §4.1). */
export const OPUS_SAMPLES_PER_20MS = 960;

/** Largest sensible Opus frame duration in RTP clock samples: 120 ms (RFC 6716 §3.2.5). */
export const OPUS_MAX_SAMPLES_PER_PACKET = 5_760;

/** Sequence number and timestamp of an outgoing RTP stream (RFC 3550 §5.1), advanced per packet. */
export class RtpClock {
  private seq: number;
  private ts: number;

  /** Starts at random values, as RFC 3550 §5.1 asks (an unpredictable start defeats known-plaintext attacks on SRTP). */
  constructor() {
    const start = crypto.getRandomValues(new Uint32Array(2));
    this.seq = start[0]! & 0xffff;
    this.ts = start[1]!;
  }

  /**
   * The header fields of the next packet; the timestamp then advances by `samples`.
   *
   * @param samples the packet's duration at the 48 kHz RTP clock (RFC 7587 §4.1), 1 … 5760
   * @throws RangeError when `samples` is not an integer in that range
   */
  next(samples: number): { sequenceNumber: number; timestamp: number } {
    if (!Number.isInteger(samples) || samples < 1 || samples > OPUS_MAX_SAMPLES_PER_PACKET) {
      throw new RangeError(`An Opus packet lasts 1 … ${OPUS_MAX_SAMPLES_PER_PACKET} samples at 48 kHz.`);
    }
    const out = { sequenceNumber: this.seq, timestamp: this.ts };
    this.seq = (this.seq + 1) & 0xffff;
    this.ts = (this.ts + samples) >>> 0;
    return out;
  }
}
