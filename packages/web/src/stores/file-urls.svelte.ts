import { attachments } from "../lib/attachments/api.js";
import type { AttachmentPointer } from "../worker/rpc-types.js";

interface Entry {
  url: Promise<string>;
  users: number;
}

/**
 * Object URLs of decrypted files, shared by everything showing the same file (a bubble, the
 * viewer): the first {@link FileUrls.acquire} downloads the file (hash checked by the SDK) and makes
 * the URL, the last {@link FileUrls.release} revokes it, so the decrypted bytes are let go as soon
 * as nothing shows them.
 */
class FileUrls {
  private readonly entries = new Map<string, Entry>();

  /** An object URL of `pointer`'s decrypted bytes (typed as the sender said). Rejects with the SDK's error. */
  acquire(pointer: AttachmentPointer): Promise<string> {
    const existing = this.entries.get(pointer.blobId);
    if (existing) {
      existing.users++;
      return existing.url;
    }
    const url = attachments
      .download(pointer)
      .then((bytes) =>
        URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: pointer.mime })),
      );
    const entry: Entry = { url, users: 1 };
    this.entries.set(pointer.blobId, entry);
    url.catch(() => {
      if (this.entries.get(pointer.blobId) === entry) this.entries.delete(pointer.blobId);
    });
    return url;
  }

  /** Gives back one {@link FileUrls.acquire}; the URL is revoked when no one holds it any more. */
  release(pointer: AttachmentPointer): void {
    const entry = this.entries.get(pointer.blobId);
    if (!entry) return;
    entry.users--;
    if (entry.users > 0) return;
    this.entries.delete(pointer.blobId);
    entry.url.then((u) => URL.revokeObjectURL(u)).catch(() => undefined);
  }
}

export const fileUrls = new FileUrls();
