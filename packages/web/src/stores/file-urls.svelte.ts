import { attachments } from "../lib/attachments/api.js";
import type { AttachmentPointer } from "../worker/rpc-types.js";

interface Entry {
  url: Promise<string>;
  users: number;
  /** The pending revocation once `users` fell to 0 (cancelled by a new acquire). */
  revokeTimer?: ReturnType<typeof setTimeout>;
}

/**
 * How long an object URL outlives its last holder, in ms. A media element keeps loading from its
 * `src` for a while after the component holding it let go (re-rendered with a new pointer object,
 * or removed while its audio or image was still loading): revoking at once makes Chromium fail that
 * load with `net::ERR_FILE_NOT_FOUND`, and a bubble re-created at once would download the file again.
 * 10 s was not enough on a loaded machine (a CI run saw a voice message's audio fetch its revoked URL),
 * so a minute: the decrypted bytes still go soon after nothing shows them.
 */
const REVOKE_GRACE_MS = 60_000;

/**
 * Object URLs of decrypted files, shared by everything showing the same file (a bubble, the
 * viewer): the first {@link FileUrls.acquire} downloads the file (hash checked by the SDK) and makes
 * the URL; {@link REVOKE_GRACE_MS} after the last {@link FileUrls.release} (unless acquired again)
 * it is revoked, so the decrypted bytes are let go soon after nothing shows them.
 */
class FileUrls {
  private readonly entries = new Map<string, Entry>();

  /** An object URL of `pointer`'s decrypted bytes (typed as the sender said). Rejects with the SDK's error. */
  acquire(pointer: AttachmentPointer): Promise<string> {
    const existing = this.entries.get(pointer.blobId);
    if (existing) {
      clearTimeout(existing.revokeTimer);
      existing.revokeTimer = undefined;
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

  /**
   * Gives back one {@link FileUrls.acquire}; the URL is revoked {@link REVOKE_GRACE_MS} after no one
   * holds it any more.
   */
  release(pointer: AttachmentPointer): void {
    const entry = this.entries.get(pointer.blobId);
    if (!entry || entry.users === 0) return;
    entry.users--;
    if (entry.users > 0) return;
    entry.revokeTimer = setTimeout(() => {
      if (this.entries.get(pointer.blobId) === entry) this.entries.delete(pointer.blobId);
      entry.url.then((u) => URL.revokeObjectURL(u)).catch(() => undefined);
    }, REVOKE_GRACE_MS);
  }
}

export const fileUrls = new FileUrls();
