/**
 * Turns a file the user picked, dropped or pasted into what the SDK sends: images without their
 * metadata (image-metadata.ts) with dimensions, a thumbnail and a BlurHash; videos with their
 * dimensions, duration, a poster thumbnail and a BlurHash; anything else as a plain file. A file
 * the browser cannot decode is sent as a plain file rather than refused.
 */
import type { OutgoingAttachment } from "../attachments/types.js";
import { blurhashOf } from "./blurhash.js";
import { decodeImage, stripImageMetadata } from "./image-metadata.js";
import { cleanMime, cleanName } from "./names.js";
import { makeThumbnail } from "./thumbnail.js";
import { probeVideo } from "./video-probe.js";

/** An image without its metadata, with its size, thumbnail and BlurHash. Throws when it does not decode. */
async function prepareImage(file: Blob, name: string): Promise<OutgoingAttachment> {
  const decoded = await decodeImage(file);
  try {
    const { blob, mime } = await stripImageMetadata(file, decoded);
    const thumbnail = await makeThumbnail(decoded.bitmap, decoded.width, decoded.height);
    return {
      source: blob,
      name,
      mime: cleanMime(mime),
      kind: "image",
      width: decoded.width,
      height: decoded.height,
      blurhash: blurhashOf(decoded.bitmap),
      ...(thumbnail ? { thumbnail } : {}),
    };
  } finally {
    decoded.bitmap.close();
  }
}

/**
 * A video with its size, duration, poster thumbnail and BlurHash. Throws when it does not decode
 * twice: a detached `<video>` sometimes fails one read on a busy machine (a CI run sent a
 * MediaRecorder clip that plays as a plain file), so the probe gets one more try.
 */
async function prepareVideo(file: Blob, name: string): Promise<OutgoingAttachment> {
  const probe = await probeVideo(file).catch((first: unknown) => {
    console.warn(`Reading the video ${name} failed once (${String(first)}); trying again.`);
    return probeVideo(file);
  });
  try {
    const thumbnail = await makeThumbnail(probe.poster, probe.width, probe.height);
    return {
      source: file,
      name,
      mime: cleanMime(file.type),
      kind: "video",
      ...(probe.width > 0 && probe.height > 0 ? { width: probe.width, height: probe.height } : {}),
      durationMs: probe.durationMs,
      blurhash: blurhashOf(probe.poster),
      ...(thumbnail ? { thumbnail } : {}),
    };
  } finally {
    probe.poster.close();
  }
}

/**
 * What to send for `file`: an image or video with its previews, else a plain file. Never throws for
 * a file the browser cannot decode (it becomes a plain file).
 */
export async function prepareAttachment(file: File): Promise<OutgoingAttachment> {
  const name = cleanName(file.name, "file");
  const mime = cleanMime(file.type);
  const plain: OutgoingAttachment = { source: file, name, mime, kind: "file" };
  try {
    if (mime.startsWith("image/")) return await prepareImage(file, name);
    if (mime.startsWith("video/")) return await prepareVideo(file, name);
  } catch (err) {
    // not decodable here: it still goes, as a file
    console.warn(`${name} is sent as a plain file: it could not be read here (${String(err)}).`);
  }
  return plain;
}

/** A voice message ready to send: the recording with its waveform and duration. */
export function voiceAttachment(
  audio: Blob,
  analysed: { waveform: Uint8Array; durationMs: number },
  recordedAt: Date,
): OutgoingAttachment {
  const stamp = recordedAt.toISOString().slice(0, 19).replace(/[:T]/g, "-");
  return {
    source: audio,
    name: `voice-${stamp}.webm`,
    mime: cleanMime(audio.type || "audio/webm"),
    kind: "voice",
    durationMs: analysed.durationMs,
    waveform: analysed.waveform,
  };
}
