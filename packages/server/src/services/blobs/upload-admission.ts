import { randomBytes } from "node:crypto";
import { blobSize, parse, type UploadLimitsResponse, UploadMetadata, VollyError } from "@volly/protocol";
import type { FilesConfig } from "../../config-files.js";
import { UNDECLARED_BLOB_ID } from "../../store/types.js";
import type { AuthContext, ServiceContext } from "../context.js";

/** What a tus creation request (`POST /v1/uploads`) asks for, read from its headers. */
export interface UploadRequest {
  /** `Upload-Length` (ciphertext bytes); undefined when the header is missing. */
  length: string | undefined;
  /** `Upload-Metadata` (tus: comma-separated `key base64value` pairs); undefined when missing. */
  metadata: string | undefined;
}

/** Admitting uploads: every check a creation needs, before tus accepts a byte. */
export interface UploadAdmission {
  /**
   * Checks a creation request and records the upload (owned by the caller's account, expiring
   * after `uploadExpiryMs`); returns the upload id tus must use.
   *
   * @throws VOLLY_E_BAD_REQUEST (no or bad Upload-Length, metadata not `{conversation, sha256?}`),
   *   VOLLY_E_NOT_FOUND (the caller's device is not a member of the group), VOLLY_E_TOO_LARGE
   *   (details.limit, details.size: longer than blobSize(maxUploadBytes)), VOLLY_E_QUOTA_EXCEEDED
   *   (details.scope "files", limit, used, size: the account's blobs and uploads would pass its quota)
   */
  admit(device: AuthContext, request: UploadRequest): Promise<string>;
  /**
   * Records an upload of `upload.size` ciphertext bytes of group `upload.groupId` for `accountId`
   * (state "uploading", removed after the upload expiry unless completed), within the account's
   * storage quota: what {@link admit} does once the request is checked, and what a copy of another
   * server's blob (`federation/blob-relay.ts`) goes through.
   *
   * @param upload.id the upload id (32 hex characters) when its bytes are already in its upload
   *   file; default a new one
   * @returns the upload id
   * @throws VOLLY_E_QUOTA_EXCEEDED (details.scope "files", limit, used, size)
   */
  reserve(
    accountId: string,
    upload: { id?: string; groupId: string; blobId: string; size: number },
  ): Promise<string>;
  /** The limits `GET /v1/uploads/limits` reports for the caller's account. */
  limits(device: AuthContext): Promise<UploadLimitsResponse>;
}

/** Parses tus `Upload-Metadata` (tus 1.0 "Upload-Metadata": `key base64`, comma-separated). */
export function parseUploadMetadata(header: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of header.split(",")) {
    const [key, value, ...rest] = pair.trim().split(" ");
    if (!key || rest.length > 0 || key in out) {
      throw new VollyError("VOLLY_E_BAD_REQUEST", "Upload-Metadata is malformed.", {
        field: "Upload-Metadata",
      });
    }
    if (value !== undefined && !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) {
      throw new VollyError("VOLLY_E_BAD_REQUEST", "Upload-Metadata values must be base64.", {
        field: "Upload-Metadata",
      });
    }
    out[key] = value === undefined ? "" : Buffer.from(value, "base64").toString("utf8");
  }
  return out;
}

/** Builds the {@link UploadAdmission}. */
export function createUploadAdmission({ store, now }: ServiceContext, files: FilesConfig): UploadAdmission {
  const maxBlobBytes = blobSize(files.maxUploadBytes);
  const reserve: UploadAdmission["reserve"] = async (accountId, upload) => {
    const used = await store.blobs.usedBytes(accountId);
    if (used + upload.size > files.storageQuotaBytes) {
      throw new VollyError("VOLLY_E_QUOTA_EXCEEDED", "This account's files would pass its storage quota.", {
        scope: "files",
        limit: files.storageQuotaBytes,
        used,
        size: upload.size,
      });
    }
    const id = upload.id ?? randomBytes(16).toString("hex");
    const at = now();
    await store.blobs.insertUpload({
      id,
      blobId: upload.blobId,
      groupId: upload.groupId,
      accountId,
      size: upload.size,
      state: "uploading",
      createdAt: at,
      expiresAt: at + files.uploadExpiryMs,
    });
    return id;
  };
  return {
    async admit(device, request) {
      if (request.length === undefined || !/^\d{1,16}$/.test(request.length)) {
        throw new VollyError("VOLLY_E_BAD_REQUEST", "Upload-Length (ciphertext bytes) is required.", {
          field: "Upload-Length",
        });
      }
      const size = Number(request.length);
      if (request.metadata === undefined) {
        throw new VollyError(
          "VOLLY_E_BAD_REQUEST",
          "Upload-Metadata needs conversation (and optionally sha256).",
          {
            field: "Upload-Metadata",
          },
        );
      }
      const metadata = parse(UploadMetadata, parseUploadMetadata(request.metadata));
      const membership = await store.groups.findMembership(metadata.conversation, device.deviceId);
      if (!membership || membership.leftSeq !== null) throw new VollyError("VOLLY_E_NOT_FOUND");
      if (size > maxBlobBytes) {
        throw new VollyError("VOLLY_E_TOO_LARGE", undefined, { limit: maxBlobBytes, size });
      }
      return reserve(device.accountId, {
        groupId: metadata.conversation,
        blobId: metadata.sha256 ?? UNDECLARED_BLOB_ID,
        size,
      });
    },
    reserve,
    async limits(device) {
      return {
        maxFileBytes: files.maxUploadBytes,
        maxBlobBytes,
        quotaBytes: files.storageQuotaBytes,
        usedBytes: await store.blobs.usedBytes(device.accountId),
      };
    },
  };
}
