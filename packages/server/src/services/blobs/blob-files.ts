import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";

/**
 * The blob directory's layout: complete blobs at `<dir>/<blobId>`, uploads in progress at
 * `<dir>/uploads/<uploadId>` with tus's metadata beside them (`<uploadId>.json`). Every node of a
 * scaled deployment uses the same directory (a shared volume). Blob ids (43 base64url characters)
 * and upload ids (32 hex characters) never name the `uploads` directory.
 */
export interface BlobFiles {
  /** The blob directory. */
  readonly dir: string;
  /** Where uploads in progress live (tus's file store directory). */
  readonly uploadsDir: string;
  /** Path of a complete blob. */
  blobPath(blobId: string): string;
  /** Path of an upload's bytes. */
  uploadPath(uploadId: string): string;
  /** Creates the directories when missing. */
  ensure(): Promise<void>;
  /** SHA-256 of an upload's bytes, streamed from disk, base64url (a blob id). */
  hashUpload(uploadId: string): Promise<string>;
  /** Moves a finished upload to its blob path and drops tus's metadata (one rename on the same volume). */
  promote(uploadId: string, blobId: string): Promise<void>;
  /** Deletes an upload's bytes and metadata; missing files are fine. */
  removeUpload(uploadId: string): Promise<void>;
  /** Deletes a blob's file; a missing file is fine. */
  removeBlob(blobId: string): Promise<void>;
  /**
   * Upload ids of files in the uploads directory last changed before `before` (ms), for the expiry
   * job to delete those no row knows (left by a node that died between its steps).
   */
  staleUploads(before: number): Promise<string[]>;
}

/** Upload ids the server names uploads with: 32 lower-case hex characters. */
export const UPLOAD_ID = /^[0-9a-f]{32}$/;

/** Builds the {@link BlobFiles} of a directory (not created until {@link BlobFiles.ensure}). */
export function createBlobFiles(dir: string): BlobFiles {
  const uploadsDir = join(dir, "uploads");
  const uploadPath = (uploadId: string) => join(uploadsDir, uploadId);
  const blobPath = (blobId: string) => join(dir, blobId);
  const removeQuietly = (path: string) => rm(path, { force: true });
  return {
    dir,
    uploadsDir,
    blobPath,
    uploadPath,
    async ensure() {
      await mkdir(uploadsDir, { recursive: true });
    },
    async hashUpload(uploadId) {
      const hash = createHash("sha256");
      for await (const chunk of createReadStream(uploadPath(uploadId))) hash.update(chunk as Buffer);
      return hash.digest("base64url");
    },
    async promote(uploadId, blobId) {
      await rename(uploadPath(uploadId), blobPath(blobId));
      await removeQuietly(`${uploadPath(uploadId)}.json`);
    },
    async removeUpload(uploadId) {
      await removeQuietly(uploadPath(uploadId));
      await removeQuietly(`${uploadPath(uploadId)}.json`);
    },
    async removeBlob(blobId) {
      await removeQuietly(blobPath(blobId));
    },
    async staleUploads(before) {
      const names = await readdir(uploadsDir).catch(() => [] as string[]);
      const ids = new Set<string>();
      for (const name of names) {
        const id = name.endsWith(".json") ? name.slice(0, -5) : name;
        if (!UPLOAD_ID.test(id) || ids.has(id)) continue;
        const info = await stat(join(uploadsDir, name)).catch(() => undefined);
        if (info && info.mtimeMs < before) ids.add(id);
      }
      return [...ids];
    },
  };
}
