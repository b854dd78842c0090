/**
 * Turns a picked photo into an avatar: the centred square of the upright image, scaled to
 * {@link AVATAR_SIDE} px and encoded as WebP (JPEG where the browser cannot encode WebP). Encoding
 * from pixels drops every piece of the original's metadata (see image-metadata.ts), and the
 * ≤6 KiB thumbnail that lists show is made as for any image (thumbnail.ts).
 */
import type { OutgoingAttachment } from "../attachments/types.js";
import { decodeImage, encodeBitmap } from "./image-metadata.js";
import { makeThumbnail } from "./thumbnail.js";

/** The avatar's side (px). */
export const AVATAR_SIDE = 256;

/**
 * The square that crops `width` × `height` to its centre: its top-left corner and side (px).
 */
export function centredSquare(width: number, height: number): { x: number; y: number; side: number } {
  const side = Math.min(width, height);
  return { x: Math.floor((width - side) / 2), y: Math.floor((height - side) / 2), side };
}

/**
 * What `client.account.setAvatar` sends for `file`: a 256×256 WebP without metadata, with its
 * thumbnail. Throws when the browser cannot decode the image.
 */
export async function prepareAvatar(file: Blob): Promise<OutgoingAttachment> {
  const decoded = await decodeImage(file);
  const { x, y, side } = centredSquare(decoded.width, decoded.height);
  const square = await createImageBitmap(decoded.bitmap, x, y, side, side, {
    resizeWidth: AVATAR_SIDE,
    resizeHeight: AVATAR_SIDE,
    resizeQuality: "high",
  });
  decoded.bitmap.close();
  try {
    let blob = await encodeBitmap(square, AVATAR_SIDE, AVATAR_SIDE, "image/webp", 0.85);
    if (blob.type !== "image/webp")
      blob = await encodeBitmap(square, AVATAR_SIDE, AVATAR_SIDE, "image/jpeg", 0.85);
    const thumbnail = await makeThumbnail(square, AVATAR_SIDE, AVATAR_SIDE);
    const mime = blob.type === "image/webp" ? "image/webp" : "image/jpeg";
    return {
      source: blob,
      name: mime === "image/webp" ? "avatar.webp" : "avatar.jpg",
      mime,
      kind: "image",
      width: AVATAR_SIDE,
      height: AVATAR_SIDE,
      ...(thumbnail ? { thumbnail } : {}),
    };
  } finally {
    square.close();
  }
}
