/**
 * The small preview that travels inside the message (at most {@link THUMBNAIL_MAX_BYTES}): the
 * image or video poster scaled down and encoded as WebP (JPEG where the browser cannot encode WebP),
 * smaller and at lower quality until it fits.
 */
import { encodeBitmap } from "./image-metadata.js";

/** Largest thumbnail (bytes): ATTACHMENT_LIMITS.thumbnailBytes of @volly/protocol. */
export const THUMBNAIL_MAX_BYTES = 6 * 1024;

/** The sizes (longest side, px) and qualities tried, best first. */
export const THUMBNAIL_STEPS: ReadonlyArray<{ side: number; quality: number }> = [
  { side: 320, quality: 0.7 },
  { side: 320, quality: 0.5 },
  { side: 240, quality: 0.5 },
  { side: 200, quality: 0.4 },
  { side: 160, quality: 0.35 },
  { side: 120, quality: 0.3 },
  { side: 80, quality: 0.3 },
  { side: 48, quality: 0.3 },
];

/**
 * `width` × `height` scaled down (never up) so its longest side is at most `side`, each side at
 * least 1 px.
 */
export function fitWithin(width: number, height: number, side: number): { width: number; height: number } {
  const scale = Math.min(1, side / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/**
 * The first encoding of `steps` that fits in `maxBytes`, trying them in order.
 *
 * @param encode makes the bytes for one step
 * @returns the bytes, or undefined when none fits
 */
export async function firstThatFits<S>(
  steps: readonly S[],
  encode: (step: S) => Promise<Uint8Array>,
  maxBytes: number,
): Promise<Uint8Array | undefined> {
  for (const step of steps) {
    const bytes = await encode(step);
    if (bytes.byteLength > 0 && bytes.byteLength <= maxBytes) return bytes;
  }
  return undefined;
}

/**
 * A thumbnail of `bitmap` (`width` × `height` px) of at most {@link THUMBNAIL_MAX_BYTES}, or
 * undefined when even the smallest step does not fit (then the message goes without one).
 */
export async function makeThumbnail(
  bitmap: ImageBitmap,
  width: number,
  height: number,
): Promise<Uint8Array | undefined> {
  let type = "image/webp";
  return firstThatFits(
    THUMBNAIL_STEPS,
    async ({ side, quality }) => {
      const size = fitWithin(width, height, side);
      let blob = await encodeBitmap(bitmap, size.width, size.height, type, quality);
      if (blob.type !== type) {
        // no WebP encoder here: JPEG from now on
        type = "image/jpeg";
        blob = await encodeBitmap(bitmap, size.width, size.height, type, quality);
      }
      return new Uint8Array(await blob.arrayBuffer());
    },
    THUMBNAIL_MAX_BYTES,
  );
}
