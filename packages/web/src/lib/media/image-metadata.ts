/**
 * Strips an image's metadata before it is encrypted and sent: the image is decoded (with its EXIF
 * orientation applied, so a photo taken sideways stays upright) and encoded again from its pixels
 * through a canvas. What is lost: ALL metadata of the original — EXIF (GPS location, camera make
 * and model, lens, serial numbers, capture time, the orientation tag itself, already applied to the
 * pixels), XMP, IPTC, embedded thumbnails and comments; the ICC colour profile too (the canvas
 * re-encodes in sRGB). JPEG is re-encoded lossily (quality 0.92); PNG and WebP keep their format
 * (PNG losslessly). Other types (GIF, SVG, HEIC…) are sent as they are: re-encoding a GIF would drop
 * its animation, and the browser may not decode the others.
 */

/** The image types re-encoded without their metadata, and the quality used for each. */
export const REENCODED_TYPES: Readonly<Record<string, number | undefined>> = {
  "image/jpeg": 0.92,
  "image/png": undefined,
  "image/webp": 0.92,
};

/** A decoded image, upright, with its pixel size. */
export interface DecodedImage {
  bitmap: ImageBitmap;
  width: number;
  height: number;
}

/** Decodes `file` with its EXIF orientation applied. Throws when the browser cannot decode it. */
export async function decodeImage(file: Blob): Promise<DecodedImage> {
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  return { bitmap, width: bitmap.width, height: bitmap.height };
}

/**
 * Draws `bitmap` at `width` × `height` on a fresh canvas (OffscreenCanvas where the browser has it)
 * and encodes it as `type`.
 *
 * @param quality 0–1 for lossy types, ignored for PNG
 * @returns the encoded bytes; the browser may answer with PNG when it cannot encode `type`
 */
export async function encodeBitmap(
  bitmap: ImageBitmap,
  width: number,
  height: number,
  type: string,
  quality?: number,
): Promise<Blob> {
  if (typeof OffscreenCanvas !== "undefined") {
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext("2d");
    if (!ctx) throw new Error("No 2D canvas in this browser.");
    ctx.drawImage(bitmap, 0, 0, width, height);
    return canvas.convertToBlob(quality === undefined ? { type } : { type, quality });
  }
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext("2d");
  if (!ctx) throw new Error("No 2D canvas in this browser.");
  ctx.drawImage(bitmap, 0, 0, width, height);
  return new Promise<Blob>((resolve, reject) =>
    canvas.toBlob(
      (b) => (b ? resolve(b) : reject(new Error("The image could not be encoded."))),
      type,
      quality,
    ),
  );
}

/**
 * The image as it is sent: re-encoded from its upright pixels without any metadata (see the module
 * comment for what is lost) when its type is one of {@link REENCODED_TYPES}, else `file` itself.
 *
 * @returns the bytes to send and their type (a re-encoded image keeps its type)
 */
export async function stripImageMetadata(
  file: Blob,
  decoded: DecodedImage,
): Promise<{ blob: Blob; mime: string }> {
  if (!Object.hasOwn(REENCODED_TYPES, file.type)) return { blob: file, mime: file.type };
  const quality = REENCODED_TYPES[file.type];
  const blob = await encodeBitmap(decoded.bitmap, decoded.width, decoded.height, file.type, quality);
  return { blob, mime: blob.type || file.type };
}
