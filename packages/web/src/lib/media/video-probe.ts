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
    const duration = Number.isFinite(video.duration) ? video.duration : 0;
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
