/**
 * The inline thumbnail of a pointer as a `data:` URL (at most 6 KiB, so no object URL to revoke),
 * typed from its first bytes (WebP or JPEG, what senders make; PNG accepted too); undefined when
 * there is none or it is neither.
 */
import type { AttachmentPointer } from "@volly/protocol";
import { base64UrlBytes } from "./base64url.js";

/** The image type of `bytes` from their signature, if it is WebP, JPEG or PNG. */
export function sniffImageType(bytes: Uint8Array): string | undefined {
  const ascii = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
  if (bytes.length >= 12 && ascii(0, 4) === "RIFF" && ascii(8, 12) === "WEBP") return "image/webp";
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "image/jpeg";
  if (bytes.length >= 8 && ascii(1, 4) === "PNG") return "image/png";
  return undefined;
}

/** The `data:` URL of `pointer`'s thumbnail, or undefined (none, or not WebP/JPEG/PNG). */
export function thumbnailUrl(pointer: Pick<AttachmentPointer, "thumbnail">): string | undefined {
  if (!pointer.thumbnail) return undefined;
  try {
    const type = sniffImageType(base64UrlBytes(pointer.thumbnail));
    if (!type) return undefined;
    const b64 = pointer.thumbnail.replace(/-/g, "+").replace(/_/g, "/");
    return `data:${type};base64,${b64}${"=".repeat((4 - (b64.length % 4)) % 4)}`;
  } catch {
    return undefined;
  }
}
