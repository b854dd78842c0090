import OpusScript from "opusscript";
import { OPUS_RTP_CLOCK_RATE, OPUS_SAMPLES_PER_20MS } from "./opus-rtp.js";

/**
 * An Opus encoder and decoder for a Node call participant (libopus through opusscript, compiled to
 * WebAssembly: nothing to download or build): mono 48 kHz 16-bit PCM, 20 ms frames (RFC 6716;
 * 960 samples). Turns what an agent says into frames for `NodeCall.sendOpus`, and the frames
 * `onOpusFrame` receives into PCM to record or transcribe. Call {@link close} when done (frees
 * the WebAssembly memory).
 */
export class OpusCodec {
  private readonly encoder = new OpusScript(OPUS_RTP_CLOCK_RATE, 1, OpusScript.Application.VOIP);
  private readonly decoder = new OpusScript(OPUS_RTP_CLOCK_RATE, 1, OpusScript.Application.VOIP);

  /**
   * Encodes 20 ms of mono PCM into one Opus packet.
   *
   * @param pcm 960 signed 16-bit samples at 48 kHz
   * @throws RangeError when `pcm` is not 960 samples; Error from libopus
   */
  encode(pcm: Int16Array): Uint8Array {
    if (pcm.length !== OPUS_SAMPLES_PER_20MS) {
      throw new RangeError(`One frame is ${OPUS_SAMPLES_PER_20MS} samples (20 ms at 48 kHz).`);
    }
    const out = this.encoder.encode(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength), pcm.length);
    return new Uint8Array(out);
  }

  /**
   * Decodes one Opus packet (mono or stereo, any Opus mode) into mono 48 kHz PCM.
   *
   * @param frame one Opus packet
   * @returns signed 16-bit samples (960 for 20 ms)
   * @throws Error from libopus on a packet that is not Opus
   */
  decode(frame: Uint8Array): Int16Array {
    const out = this.decoder.decode(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength));
    return new Int16Array(out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength));
  }

  /** Frees the encoder and decoder; the codec cannot be used after. */
  close(): void {
    this.encoder.delete();
    this.decoder.delete();
  }
}

/**
 * 20 ms frames of a sine tone, mono 48 kHz 16-bit, continuous across frames: a test signal an agent
 * can send (e.g. to check a call carries audio).
 *
 * @param frequencyHz the tone's frequency (Hz), 1 … 24,000
 * @param amplitude peak amplitude, 0 … 32,767 (default 8,000, about −12 dBFS)
 * @returns a generator of 960-sample frames, endless
 */
export function* sineTone(frequencyHz: number, amplitude = 8_000): Generator<Int16Array, never> {
  if (!(frequencyHz > 0 && frequencyHz <= OPUS_RTP_CLOCK_RATE / 2))
    throw new RangeError("Bad tone frequency.");
  if (!(amplitude >= 0 && amplitude <= 32_767)) throw new RangeError("Bad tone amplitude.");
  let n = 0;
  for (;;) {
    const frame = new Int16Array(OPUS_SAMPLES_PER_20MS);
    for (let i = 0; i < frame.length; i += 1, n += 1) {
      frame[i] = Math.round(amplitude * Math.sin((2 * Math.PI * frequencyHz * n) / OPUS_RTP_CLOCK_RATE));
    }
    yield frame;
  }
}

/** Root mean square of PCM samples (0 for silence; a full-scale sine is ~23,170). */
export function pcmRms(pcm: Int16Array): number {
  if (pcm.length === 0) return 0;
  let sum = 0;
  for (const s of pcm) sum += s * s;
  return Math.sqrt(sum / pcm.length);
}
