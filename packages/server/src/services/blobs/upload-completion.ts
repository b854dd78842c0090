import { VollyError } from "@volly/protocol";
import type { ServiceContext } from "../context.js";
import type { BlobFiles } from "./blob-files.js";

/** Turning a fully received upload into a blob. */
export interface UploadCompletion {
  /**
   * Hashes the upload's bytes (streamed from disk) and compares them with the blob id it was
   * created for. Equal: the file moves to `<blobDir>/<blobId>` and the blob is complete, removed
   * after `expiryMs` unless a message points at it by then. A blob with that id already complete (a
   * second upload of the same bytes): this upload's file and row go and the existing blob stands.
   *
   * @throws VOLLY_E_BLOB_MISMATCH (details.blobId) when the hash differs — the file and the row are
   *   deleted, nothing is stored; VOLLY_E_NOT_FOUND when the upload is unknown or no longer uploading
   */
  complete(uploadId: string): Promise<void>;
}

/** Builds the {@link UploadCompletion}. @param expiryMs how long a complete blob may stay unsent */
export function createUploadCompletion(
  { store, now }: ServiceContext,
  files: BlobFiles,
  expiryMs: number,
): UploadCompletion {
  return {
    async complete(uploadId) {
      const upload = await store.blobs.findUpload(uploadId);
      if (upload?.state !== "uploading") throw new VollyError("VOLLY_E_NOT_FOUND");
      const actual = await files.hashUpload(uploadId);
      if (actual !== upload.blobId) {
        await files.removeUpload(uploadId);
        await store.blobs.deleteRow(uploadId);
        throw new VollyError("VOLLY_E_BLOB_MISMATCH", undefined, { blobId: upload.blobId });
      }
      const existing = await store.blobs.findBlob(upload.blobId);
      if (existing) {
        await files.removeUpload(uploadId);
        await store.blobs.deleteRow(uploadId);
        return;
      }
      // Move first, then mark complete: a blob is only ever served once its file is in place. A
      // concurrent upload of the same bytes renames over an identical file.
      await files.promote(uploadId, upload.blobId);
      if (!(await store.blobs.complete(uploadId, now() + expiryMs))) await store.blobs.deleteRow(uploadId);
    },
  };
}
