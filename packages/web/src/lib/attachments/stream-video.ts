/**
 * Plays a video (or audio) while it is still downloading: the decrypted stream from
 * `attachments.open` is appended chunk by chunk to a MediaSource (Media Source Extensions), so
 * playback starts with the first chunks. This is what works in Chromium for WebM (VP8/VP9/AV1 with
 * Opus/Vorbis), which MediaSource takes as it comes. A plain blob URL cannot grow as bytes arrive,
 * and serving ranges from a service worker would put decrypted bytes behind a URL any script of the
 * origin could fetch. Types MediaSource does not take whole-file (MP4 that is not fragmented,
 * QuickTime…) are played from the whole decrypted file instead ({@link canStream} says which, and
 * {@link streamInto} refuses a WebM whose codecs this browser lacks).
 */

/** WebM (Matroska) CodecIDs and the codec names MediaSource wants for them. */
const WEBM_CODEC_IDS: ReadonlyArray<[id: string, codec: string]> = [
  ["V_VP8", "vp8"],
  ["V_VP9", "vp9"],
  ["V_AV1", "av01.0.05M.08"],
  ["A_OPUS", "opus"],
  ["A_VORBIS", "vorbis"],
];

/**
 * The codecs of a WebM file from its first bytes (its Tracks element, at the start, names each
 * track's CodecID in ASCII): e.g. `vp8,opus`; undefined when none is found. MediaSource in
 * Chromium needs them named (`video/webm` alone is refused), and the protocol's `mime` carries no
 * parameters, so they are read from the file.
 */
export function webmCodecs(head: Uint8Array): string | undefined {
  const text = String.fromCharCode(...head.subarray(0, Math.min(head.length, 16_384)));
  const found = WEBM_CODEC_IDS.filter(([id]) => text.includes(id)).map(([, codec]) => codec);
  return found.length > 0 ? found.join(",") : undefined;
}

/** Whether a file of type `mime` may play while downloading (WebM, where MediaSource exists). */
export function canStream(mime: string): boolean {
  return typeof MediaSource !== "undefined" && (mime === "video/webm" || mime === "audio/webm");
}

function once(target: EventTarget, event: string): Promise<void> {
  return new Promise((resolve) => target.addEventListener(event, () => resolve(), { once: true }));
}

/** A stream playing in a media element; `stop()` ends the download and frees the MediaSource. */
export interface StreamingPlayback {
  /** Resolves once every byte was appended; rejects when the stream or the MediaSource failed. */
  done: Promise<void>;
  stop(): void;
}

/** Thrown by {@link streamInto} when the file cannot be streamed here: play it whole instead. */
export class NotStreamable extends Error {}

/**
 * Feeds `stream` (a WebM, see {@link canStream}) to `media` through a MediaSource as it is read.
 * Resolves once the first chunk is read and the MediaSource attached; rejects with
 * {@link NotStreamable} when the codecs in its header are not named or not supported, and with
 * `signal`'s reason when it was aborted before the first chunk came (the viewer moved on or
 * closed): `media` is then left untouched and the stream cancelled.
 *
 * The object URL of the MediaSource is revoked once the element has attached it (`sourceopen`),
 * as the Media Source Extensions spec's examples do, or by `stop()` once the element no longer
 * points at it: revoked before the element's resource selection ran, it is fetched as a blob and
 * fails (Chromium logs `net::ERR_FILE_NOT_FOUND`).
 */
export async function streamInto(
  media: HTMLMediaElement,
  stream: ReadableStream<Uint8Array>,
  mime: string,
  signal?: AbortSignal,
): Promise<StreamingPlayback> {
  const reader = stream.getReader();
  const first = await reader.read();
  if (signal?.aborted) {
    await reader.cancel().catch(() => undefined);
    throw signal.reason;
  }
  const codecs = first.value ? webmCodecs(first.value) : undefined;
  const type = codecs ? `${mime}; codecs="${codecs}"` : undefined;
  if (!type || !MediaSource.isTypeSupported(type)) {
    await reader.cancel().catch(() => undefined);
    throw new NotStreamable(`${mime} (${codecs ?? "unknown codecs"}) cannot be streamed here.`);
  }
  const source = new MediaSource();
  const url = URL.createObjectURL(source);
  let stopped = false;
  media.src = url;
  const done = (async () => {
    await once(source, "sourceopen");
    URL.revokeObjectURL(url);
    const buffer = source.addSourceBuffer(type);
    let chunk = first;
    while (!chunk.done && !stopped) {
      buffer.appendBuffer(chunk.value as Uint8Array<ArrayBuffer>);
      await once(buffer, "updateend");
      chunk = await reader.read();
    }
    if (!stopped && source.readyState === "open") source.endOfStream();
  })();
  return {
    done,
    stop() {
      stopped = true;
      void reader.cancel().catch(() => undefined);
      if (media.getAttribute("src") === url) {
        // load() with no source aborts the element's resource selection (HTML §4.8.11.5)
        media.removeAttribute("src");
        media.load();
      }
      URL.revokeObjectURL(url); // a second revocation does nothing
    },
  };
}
