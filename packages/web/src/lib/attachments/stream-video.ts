/**
 * Plays a video (or audio) while it is still downloading: the decrypted stream from
 * `attachments.open` is appended chunk by chunk to a MediaSource (Media Source Extensions), so
 * playback starts with the first chunks. This is what works in Chromium for WebM (VP8/VP9/AV1 with
 * Opus/Vorbis), which MediaSource takes as it comes. A plain blob URL cannot grow as bytes arrive,
 * and serving ranges from a service worker would put decrypted bytes behind a URL any script of the
 * origin could fetch. Types MediaSource does not take whole-file (MP4 that is not fragmented,
 * QuickTime…) are played from the whole decrypted file instead ({@link canStream} says which).
 */

/** The codec strings tried for a WebM whose codecs the pointer does not say. */
const WEBM_CODECS = ['"vp9,opus"', '"vp8,opus"', '"vp8,vorbis"', '"av01.0.05M.08,opus"', '"vp9"', '"vp8"'];

/** The MediaSource type to use for `mime`, or undefined when it cannot be streamed here. */
export function streamType(mime: string): string | undefined {
  if (typeof MediaSource === "undefined") return undefined;
  if (mime === "video/webm" || mime === "audio/webm") {
    if (MediaSource.isTypeSupported(mime)) return mime;
    const codecs = mime === "audio/webm" ? ['"opus"', '"vorbis"'] : WEBM_CODECS;
    for (const c of codecs) {
      const type = `${mime}; codecs=${c}`;
      if (MediaSource.isTypeSupported(type)) return type;
    }
  }
  return undefined;
}

/** Whether a file of type `mime` can play while downloading. */
export function canStream(mime: string): boolean {
  return streamType(mime) !== undefined;
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

/**
 * Attaches a MediaSource to `media` and feeds it `stream` as it is read. Throws when `mime` cannot
 * be streamed ({@link canStream}).
 */
export function streamInto(
  media: HTMLMediaElement,
  stream: ReadableStream<Uint8Array>,
  mime: string,
): StreamingPlayback {
  const type = streamType(mime);
  if (!type) throw new Error(`${mime} cannot be streamed here.`);
  const source = new MediaSource();
  const url = URL.createObjectURL(source);
  const reader = stream.getReader();
  let stopped = false;
  media.src = url;
  const done = (async () => {
    await once(source, "sourceopen");
    const buffer = source.addSourceBuffer(type);
    for (;;) {
      const { done: end, value } = await reader.read();
      if (stopped) return;
      if (end) break;
      buffer.appendBuffer(value as Uint8Array<ArrayBuffer>);
      await once(buffer, "updateend");
    }
    if (source.readyState === "open") source.endOfStream();
  })();
  return {
    done,
    stop() {
      stopped = true;
      void reader.cancel().catch(() => undefined);
      URL.revokeObjectURL(url);
    },
  };
}
