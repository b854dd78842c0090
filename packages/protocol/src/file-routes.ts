import { UploadLimitsResponse } from "./attachments.js";

/**
 * REST routes of encrypted files that answer JSON (merged into ROUTES). The binary ones — tus 1.0
 * uploads under `/v1/uploads` and `GET`/`HEAD /v1/blobs/:blobId` — are described in
 * docs/protocol.md "Files" (`FILE_BINARY_ROUTES`).
 */
export const FILE_ROUTES = {
  uploadLimits: {
    method: "GET",
    path: "/v1/uploads/limits",
    summary:
      "What this server accepts for the caller's account: the largest file (plaintext) and upload (ciphertext = blobSize of it), the storage quota and what the account's blobs and open uploads take. A client refuses a file over the limit before reading it.",
    auth: true,
    response: UploadLimitsResponse,
  },
} as const;

/**
 * The binary file routes (not JSON, so not in ROUTES): method, path and what they do, for
 * docs/protocol.md. Every one needs `Authorization: Bearer <token>`; errors are the usual JSON body.
 */
export const FILE_BINARY_ROUTES = [
  {
    method: "POST",
    path: "/v1/uploads",
    summary:
      'tus 1.0 creation (https://tus.io/protocols/resumable-upload). `Upload-Length`: ciphertext bytes; `Upload-Metadata`: `conversation` (group id) and optionally `sha256` (the blob id the ciphertext must hash to; without it the server names the blob by the hash it computes), values base64 (UploadMetadata). Refused before any byte: not a member of the group → 404 VOLLY_E_NOT_FOUND; longer than maxBlobBytes → 413 VOLLY_E_TOO_LARGE (details.limit, size); over the account\'s storage quota → 507 VOLLY_E_QUOTA_EXCEEDED (details.scope "files"). 201 with `Location: /v1/uploads/<uploadId>`. Extensions: creation, creation-with-upload, termination, expiration (`Upload-Expires`).',
  },
  {
    method: "HEAD",
    path: "/v1/uploads/:uploadId",
    summary:
      "tus offset of an upload (`Upload-Offset`, `Upload-Length`), to resume after a dropped connection; only for the account that created it (else 404). A completed upload answers its full length and its blob id (`Volly-Blob-Id`).",
  },
  {
    method: "PATCH",
    path: "/v1/uploads/:uploadId",
    summary:
      "tus: append `Content-Type: application/offset+octet-stream` bytes at `Upload-Offset`. When the last byte arrives the server hashes the ciphertext: equal to `sha256` (or none declared) → the blob is complete (204 with `Volly-Blob-Id`: its blob id, the ciphertext's SHA-256 base64url; a blob with that id already complete stands and this upload's copy is dropped); different from the declared `sha256` → 422 VOLLY_E_BLOB_MISMATCH and nothing is stored.",
  },
  {
    method: "DELETE",
    path: "/v1/uploads/:uploadId",
    summary:
      "tus termination by the account that created the upload: drops an unfinished upload, or the complete blob when no message points at it yet (204); once a message points at it, 404 (it goes with its messages).",
  },
  {
    method: "GET",
    path: "/v1/blobs/:blobId",
    summary:
      "The blob's ciphertext (`application/octet-stream`, `ETag` = blob id, `Accept-Ranges: bytes`); one `Range: bytes=a-b` → 206 with `Content-Range` (unsatisfiable → 416). 404 VOLLY_E_NOT_FOUND when unknown, unfinished, removed, or the caller's device is neither a member of its group nor of a group where a message points at it (its uploader shared it there). `HEAD`: the same headers without the body.",
  },
] as const;
