/**
 * The full avatar images, decrypted once per blob and kept as object URLs for the session (one
 * per person whose avatar is shown; a new avatar is a new blob). The inline thumbnail is shown
 * until the full image is in (`thumbnailUrl`).
 */
import type { AttachmentPointer } from "@volly/protocol";
import { attachments } from "./attachments/api.js";

const urls = new Map<string, Promise<string | undefined>>();

/**
 * An object URL of the decrypted full image of `pointer`, or undefined when it cannot be
 * downloaded (offline, removed): the thumbnail or initials stay. Never rejects.
 */
export function fullAvatarUrl(pointer: AttachmentPointer): Promise<string | undefined> {
  let url = urls.get(pointer.blobId);
  if (!url) {
    url = attachments
      .download(pointer)
      .then((bytes) => URL.createObjectURL(new Blob([bytes as BlobPart], { type: pointer.mime })))
      .catch(() => {
        urls.delete(pointer.blobId); // try again next time it is shown
        return undefined;
      });
    urls.set(pointer.blobId, url);
  }
  return url;
}
