import { VollyError } from "@volly/protocol";
import type { BlobRecord } from "../../store/types.js";
import type { AuthContext, ServiceContext } from "../context.js";
import type { BlobFiles } from "./blob-files.js";

/** A blob the caller may read: its row and where its bytes are. */
export interface ReadableBlob {
  blob: BlobRecord;
  /** The file's path (`<blobDir>/<blobId>`). */
  path: string;
}

/** Who may read and resume what. */
export interface BlobAccess {
  /**
   * The complete blob `blobId` when the caller's device is a current member of its group, or of a
   * group where a message points at it (its uploader shared it there, e.g. an avatar).
   *
   * @throws VOLLY_E_NOT_FOUND when the blob is unknown, unfinished or removed, or the device is not
   *   a member (the same answer, so a non-member learns nothing of the blob)
   */
  readable(device: AuthContext, blobId: string): Promise<ReadableBlob>;
  /**
   * The upload `uploadId` when the caller's account created it (tus HEAD, PATCH, DELETE).
   *
   * @throws VOLLY_E_NOT_FOUND when unknown, removed, or another account's
   */
  ownUpload(device: AuthContext, uploadId: string): Promise<BlobRecord>;
}

/** Builds the {@link BlobAccess}. */
export function createBlobAccess({ store }: ServiceContext, files: BlobFiles): BlobAccess {
  return {
    async readable(device, blobId) {
      const blob = await store.blobs.findBlob(blobId);
      if (!blob) throw new VollyError("VOLLY_E_NOT_FOUND");
      const membership = await store.groups.findMembership(blob.groupId, device.deviceId);
      const member = membership !== undefined && membership.leftSeq === null;
      if (!member && (await store.blobs.referenceForDevice(blobId, device.deviceId)) === undefined) {
        throw new VollyError("VOLLY_E_NOT_FOUND");
      }
      return { blob, path: files.blobPath(blob.blobId) };
    },
    async ownUpload(device, uploadId) {
      const upload = await store.blobs.findUpload(uploadId);
      if (!upload || upload.state === "removed" || upload.accountId !== device.accountId) {
        throw new VollyError("VOLLY_E_NOT_FOUND");
      }
      return upload;
    },
  };
}
