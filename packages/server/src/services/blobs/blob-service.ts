import { VollyError } from "@volly/protocol";
import type { FilesConfig } from "../../config-files.js";
import type { ServiceContext } from "../context.js";
import { type BlobAccess, createBlobAccess } from "./blob-access.js";
import type { BlobFiles } from "./blob-files.js";
import { finishRemoval } from "./blob-removal.js";
import { createUploadAdmission, type UploadAdmission } from "./upload-admission.js";
import { createUploadCompletion, type UploadCompletion } from "./upload-completion.js";

/**
 * Encrypted files (DESIGN.md "Attachments"): the server stores ciphertext blobs it cannot read,
 * named by their SHA-256, for the members of one group. Uploads go through tus (`http/file-routes.ts`).
 */
export interface BlobService {
  /** Checks before an upload is accepted; the account's limits. */
  admission: UploadAdmission;
  /** The hash check when the last byte arrives. */
  completion: UploadCompletion;
  /** Who may read a blob and resume an upload. */
  access: BlobAccess;
  /** The blob directory. */
  files: BlobFiles;
  /** The limits the service was built with. */
  config: FilesConfig;
  /** Deletes an upload's row once tus terminated it (its files are gone). */
  forget(uploadId: string): Promise<void>;
  /**
   * Removes the complete blob of upload `uploadId` (row and file) when no message points at it yet:
   * its uploader cancelled the message before sending.
   *
   * @throws VOLLY_E_NOT_FOUND when it is not complete or a message points at it
   */
  cancelUnsent(uploadId: string): Promise<void>;
}

/** Builds the {@link BlobService} over the blob directory `files`. */
export function createBlobService(
  context: ServiceContext,
  config: FilesConfig,
  files: BlobFiles,
): BlobService {
  return {
    admission: createUploadAdmission(context, config),
    completion: createUploadCompletion(context, files, config.uploadExpiryMs),
    access: createBlobAccess(context, files),
    files,
    config,
    async forget(uploadId) {
      await context.store.blobs.deleteRow(uploadId);
    },
    async cancelUnsent(uploadId) {
      const removed = await context.store.blobs.removeUnsent(uploadId);
      if (!removed) throw new VollyError("VOLLY_E_NOT_FOUND");
      await finishRemoval(context.store, files, [removed]);
    },
  };
}
