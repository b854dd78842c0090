/**
 * A voice message's waveform: its loudness in at most {@link WAVEFORM_SAMPLES} buckets, one byte
 * (0–255) each, computed from the decoded audio (Web Audio `decodeAudioData`) as the RMS of each
 * bucket, scaled so the loudest bucket is 255.
 */

/** Most samples of a waveform: ATTACHMENT_LIMITS.waveformSamples of @volly/protocol. */
export const WAVEFORM_SAMPLES = 100;

/**
 * The waveform of mono PCM `samples` (-1…1): `count` buckets (fewer when there are fewer samples),
 * each the RMS of its samples, scaled to 0–255 against the loudest bucket (all 0 for silence).
 */
export function waveformFromSamples(samples: Float32Array, count = WAVEFORM_SAMPLES): Uint8Array {
  const buckets = Math.min(count, samples.length);
  const rms = new Float64Array(buckets);
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor((b * samples.length) / buckets);
    const to = Math.floor(((b + 1) * samples.length) / buckets);
    let sum = 0;
    for (let i = from; i < to; i++) {
      const s = samples[i] as number;
      sum += s * s;
    }
    rms[b] = Math.sqrt(sum / Math.max(1, to - from));
  }
  const peak = rms.reduce((a, b) => Math.max(a, b), 0);
  const out = new Uint8Array(buckets);
  if (peak === 0) return out;
  for (let b = 0; b < buckets; b++) out[b] = Math.round(((rms[b] as number) / peak) * 255);
  return out;
}

/** The first channel of `audio` decoded, with its duration (ms). Throws when it does not decode. */
export async function decodeAudio(audio: Blob): Promise<{ samples: Float32Array; durationMs: number }> {
  const context = new OfflineAudioContext(1, 1, 48_000);
  const buffer = await context.decodeAudioData(await audio.arrayBuffer());
  return { samples: buffer.getChannelData(0), durationMs: Math.round(buffer.duration * 1000) };
}

/** The waveform and duration of a recorded voice message. Throws when it does not decode. */
export async function analyseVoice(audio: Blob): Promise<{ waveform: Uint8Array; durationMs: number }> {
  const { samples, durationMs } = await decodeAudio(audio);
  return { waveform: waveformFromSamples(samples), durationMs };
}
