import type { AttachmentKind, AttachmentPointer } from "@volly/protocol";

/** Where an outgoing file's bytes are kept until it is uploaded (`attachment-sources.ts`). */
export type KeptSource =
  /** A file on disk (Node), read again on each pass. */
  | { type: "path"; path: string }
  /** Bytes sealed in the profile's store. */
  | { type: "bytes" }
  /** A Blob in the browser store's `blobs` object store. */
  | { type: "blob" };

/**
 * One file of an outgoing message, as the job keeps it. `key` is the file key (base64url): with
 * it the ciphertext is the same on every pass, so an upload resumes by encrypting again and
 * skipping to the server's offset.
 */
export interface AttachmentFileJob {
  source: KeptSource;
  /** The pointer's fields known before upload (everything but `blobId`). */
  pointer: Omit<AttachmentPointer, "blobId">;
  /**
   * The blob id (SHA-256 of the ciphertext), saved with `uploaded` once the upload that hashed it
   * completed. Jobs saved by earlier versions may hold it before `uploaded` (a hashing pass of its
   * own): their upload declares it to the server.
   */
  blobId?: string;
  /** The tus upload's URL, once the server created it (kept so a restart resumes it). */
  uploadUrl?: string;
  /** True once the server holds the complete blob. */
  uploaded?: boolean;
}

/**
 * An outgoing message with files that is not in the outbox yet: stored with the pending message
 * when `client.attachments.send` queues it, updated as each file is uploaded, and deleted in the
 * batch that puts the encrypted message in the outbox. Sealed under `attjob:<message id>`.
 */
export interface AttachmentJobRecord {
  messageId: string;
  conversationId: string;
  /** The caption ("" for none). */
  text: string;
  replyTo?: string;
  threadId?: string;
  files: AttachmentFileJob[];
  /** Set when it was refused for good (the record then waits for `cancel`). */
  failed?: { code: string; message: string };
}

/** The kinds an attachment may have, for checks of options. */
export const ATTACHMENT_KINDS: readonly AttachmentKind[] = ["file", "image", "video", "voice"];

/** The complete pointer of an uploaded file. Throws if the file has no blob id yet. */
export function pointerOf(file: AttachmentFileJob): AttachmentPointer {
  if (!file.blobId) throw new Error("The file has no blob id yet.");
  return { ...file.pointer, blobId: file.blobId };
}
