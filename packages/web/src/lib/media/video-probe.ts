/**
 * What a video's message carries besides its bytes: its dimensions, duration and a poster frame,
 * read by a detached `<video>` element (the browser's own demuxer and decoder).
 */

/** A video's dimensions (px), length (ms) and first frame. */
export interface VideoProbe {
  width: number;
  height: number;
  durationMs: number;
  /** The frame at {@link POSTER_AT_S} (or the first one for a shorter video). */
  poster: ImageBitmap;
}

/** Where the poster frame is taken (seconds): past a black first frame. */
export const POSTER_AT_S = 0.5;

function once(el: HTMLMediaElement, event: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const ok = () => {
      cleanup();
      resolve();
    };
    const fail = () => {
      cleanup();
      reject(new Error("The video could not be read."));
    };
    const cleanup = () => {
      el.removeEventListener(event, ok);
      el.removeEventListener("error", fail);
    };
    el.addEventListener(event, ok);
    el.addEventListener("error", fail);
  });
}

/**
 * The video's duration (s). A WebM recorded by MediaRecorder has none in its header (the element
 * says Infinity): seeking far past the end makes the browser find it, then the position goes back
 * to the start. 0 when it still cannot be known.
 */
async function knownDuration(video: HTMLVideoElement): Promise<number> {
  if (Number.isFinite(video.duration)) return video.duration;
  const seeked = once(video, "seeked");
  video.currentTime = Number.MAX_SAFE_INTEGER;
  await seeked;
  const duration = Number.isFinite(video.duration) ? video.duration : 0;
  const back = once(video, "seeked");
  video.currentTime = 0;
  await back;
  return duration;
}

/**
 * Probes the video `file`. Throws when the browser cannot decode it (then it is sent as a file).
 */
export async function probeVideo(file: Blob): Promise<VideoProbe> {
  const url = URL.createObjectURL(file);
  const video = document.createElement("video");
  video.muted = true;
  video.preload = "auto";
  video.playsInline = true;
  try {
    const loaded = once(video, "loadeddata");
    video.src = url;
    await loaded;
    const duration = await knownDuration(video);
    const at = Math.min(POSTER_AT_S, duration / 2);
    if (at > 0) {
      const seeked = once(video, "seeked");
      video.currentTime = at;
      await seeked;
    }
    const poster = await createImageBitmap(video);
    return {
      width: video.videoWidth,
      height: video.videoHeight,
      durationMs: Math.round(duration * 1000),
      poster,
    };
  } finally {
    video.removeAttribute("src");
    video.load();
    URL.revokeObjectURL(url);
  }
}
