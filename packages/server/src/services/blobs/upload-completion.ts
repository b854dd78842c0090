import { VollyError } from "@volly/protocol";
import { UNDECLARED_BLOB_ID } from "../../store/types.js";
import type { ServiceContext } from "../context.js";
import type { BlobFiles } from "./blob-files.js";

/** Turning a fully received upload into a blob. */
export interface UploadCompletion {
  /**
   * Hashes the upload's bytes (streamed from disk): the hash is the blob id. When the upload was
   * created with a declared blob id (`Upload-Metadata` `sha256`) the two must be equal; created
   * without one, the hash names the blob. The file then moves to `<blobDir>/<blobId>` and the blob
   * is complete, removed after `expiryMs` unless a message points at it by then. A blob with that id
   * already complete (a second upload of the same bytes): this upload's file and row go and the
   * existing blob stands.
   *
   * @returns the blob id (SHA-256 of the ciphertext, base64url) — the final PATCH answers it in
   *   `Volly-Blob-Id`
   * @throws VOLLY_E_BLOB_MISMATCH (details.blobId: the declared one) when the hash differs from the
   *   declared blob id — the file and the row are deleted, nothing is stored; VOLLY_E_NOT_FOUND when
   *   the upload is unknown or no longer uploading
   */
  complete(uploadId: string): Promise<string>;
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
      const blobId = await files.hashUpload(uploadId);
      if (upload.blobId !== UNDECLARED_BLOB_ID && blobId !== upload.blobId) {
        await files.removeUpload(uploadId);
        await store.blobs.deleteRow(uploadId);
        throw new VollyError("VOLLY_E_BLOB_MISMATCH", undefined, { blobId: upload.blobId });
      }
      const existing = await store.blobs.findBlob(blobId);
      if (existing) {
        await files.removeUpload(uploadId);
        await store.blobs.deleteRow(uploadId);
        return blobId;
      }
      // Move first, then mark complete: a blob is only ever served once its file is in place. A
      // concurrent upload of the same bytes renames over an identical file.
      await files.promote(uploadId, blobId);
      if (!(await store.blobs.complete(uploadId, now() + expiryMs, blobId)))
        await store.blobs.deleteRow(uploadId);
      return blobId;
    },
  };
}
