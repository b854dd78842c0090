/**
 * BlurHash placeholders (https://blurha.sh, npm `blurhash`): a ~30-character string the sender
 * computes from a tiny copy of the image, which receivers paint blurred while the thumbnail and
 * the image load.
 */
import { decode, encode } from "blurhash";

/** The size (px) of the copy the hash is computed from, and of the painted placeholder. */
export const BLURHASH_SAMPLE = 32;
/** BlurHash components (x, y): 4 × 3 suits landscape and portrait alike. */
const COMPONENTS = { x: 4, y: 3 } as const;

/**
 * The BlurHash of RGBA `pixels` (`width` × `height`, 4 bytes a pixel, as `ImageData.data`).
 * Throws when `pixels` does not hold width × height × 4 bytes.
 */
export function blurhashFromPixels(pixels: Uint8ClampedArray, width: number, height: number): string {
  return encode(pixels, width, height, COMPONENTS.x, COMPONENTS.y);
}

/** The BlurHash of `bitmap`, from a {@link BLURHASH_SAMPLE}-pixel-square copy of it. */
export function blurhashOf(bitmap: ImageBitmap): string {
  const size = BLURHASH_SAMPLE;
  const canvas =
    typeof OffscreenCanvas !== "undefined"
      ? new OffscreenCanvas(size, size)
      : Object.assign(document.createElement("canvas"), { width: size, height: size });
  const ctx = canvas.getContext("2d") as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
  if (!ctx) throw new Error("No 2D canvas in this browser.");
  ctx.drawImage(bitmap, 0, 0, size, size);
  return blurhashFromPixels(ctx.getImageData(0, 0, size, size).data, size, size);
}

/**
 * The RGBA pixels (`size` × `size`) a BlurHash stands for, to put on a canvas; undefined for a hash
 * that does not decode (a sender's bad hash shows no placeholder rather than an error).
 */
export function blurhashPixels(hash: string, size = BLURHASH_SAMPLE): Uint8ClampedArray | undefined {
  try {
    return decode(hash, size, size);
  } catch {
    return undefined;
  }
}
