import type { AttachmentKind, AttachmentPointer } from "@volly/protocol";
import type { MessageRecord } from "../messaging/message-records.js";
import type { Listeners } from "../shared/listeners.js";

/**
 * One file to send. The SDK encrypts and uploads the bytes; everything else is the caller's (the
 * web app makes thumbnails, blurhash and waveforms and strips EXIF before handing the bytes over).
 */
export interface OutgoingAttachment {
  /**
   * The bytes: a `Blob`/`File` (browser; kept in IndexedDB until uploaded so a reload resumes),
   * a `Uint8Array` (kept sealed in the profile's store until uploaded), or `{ path }` (Node: a
   * file on disk, read again after a restart; it must not change until it is sent).
   */
  source: Blob | Uint8Array | { path: string };
  /** The file name receivers see (1 to 255 characters; receivers never trust it as a path). */
  name: string;
  /** The media type (RFC 6838), e.g. "image/webp". */
  mime: string;
  /** How receivers show it (default "file"). */
  kind?: AttachmentKind;
  /** Alt text (images, videos), read by screen readers. */
  alt?: string;
  /** Image or video dimensions (pixels). */
  width?: number;
  height?: number;
  /** Video or voice length (ms). */
  durationMs?: number;
  /** Voice loudness, one byte per sample (at most 100 samples). */
  waveform?: Uint8Array;
  /** BlurHash of an image or video poster. */
  blurhash?: string;
  /** A small JPEG/WebP thumbnail or poster (at most 6 KiB; it travels inside the message). */
  thumbnail?: Uint8Array;
}

/** Options of {@link FileAttachments.send}. */
export interface AttachmentSendOptions {
  /** The caption ("" or absent: none). */
  text?: string;
  /** The id of the message this one replies to. */
  replyTo?: string;
  /** In a community channel: the thread's root message id. */
  threadId?: string;
}

/** Where an outgoing message with files stands until the server stored it (`MessageRecord.upload`). */
export interface UploadState {
  /** Ciphertext bytes the server has of all the message's files. */
  sentBytes: number;
  /** Ciphertext bytes of all its files. */
  totalBytes: number;
  /**
   * `"uploading"`: files still going up; `"sending"`: uploaded, the message is in the outbox;
   * `"failed"`: refused for good (see `error`); cancel it to remove it.
   */
  state: "uploading" | "sending" | "failed";
  /** Why it failed (an error code and message), with state "failed". */
  error?: { code: string; message: string };
}

/** One progress report of an upload ({@link FileAttachments.progress}). */
export interface AttachmentProgress {
  messageId: string;
  conversationId: string;
  /** Ciphertext bytes the server has of all the message's files. */
  sentBytes: number;
  /** Ciphertext bytes of all its files. */
  totalBytes: number;
  /** Recent upload speed (bytes per second; 0 before it is known). */
  bytesPerSecond: number;
}

/** A byte range of a file's plaintext: `start` inclusive, `end` exclusive (bytes). */
export interface ByteRange {
  start: number;
  end: number;
}

/** Options of {@link FileAttachments.gallery}. */
export interface GalleryOptions {
  /** Only these kinds (default all). */
  kinds?: AttachmentKind[];
  /** At most this many items (default 100). */
  limit?: number;
  /** Only messages sent before this time (sender's clock, ms): the next page. */
  before?: number;
}

/** One item of a conversation's media gallery. */
export interface GalleryItem {
  message: MessageRecord;
  attachment: AttachmentPointer;
}

/**
 * `client.attachments`: files, images, video and voice messages, encrypted on this device with a
 * fresh key per file (`@volly/crypto` file AEAD), uploaded resumably (tus) and pointed at from a
 * text message whose text is the caption (DESIGN.md "Attachments, images, voice messages").
 */
export interface FileAttachments {
  /** Upload progress of outgoing messages with files (about once per uploaded chunk). */
  readonly progress: Listeners<AttachmentProgress>;

  /**
   * Queues a message with files: checks them (and the server's limits, before reading a byte),
   * keeps the sources for a restart and stores a "pending" message whose `upload` tracks the
   * progress; the outbox then uploads each file, encrypts the message and sends it — each step
   * resumed after a restart (a half-done upload continues where the server's offset stands).
   * `Messaging.updates` reports the record as it changes; `sent` once the server stored it.
   *
   * @param files 1 to 10 files
   * @returns the queued record (status "pending", `upload.state` "uploading")
   * Offline (the limits cannot be read) the message is queued all the same, like text: the server
   * checks the limits again when the upload is created, before any byte is sent, and a refusal then
   * marks the record's `upload` "failed".
   *
   * @throws VollyError VOLLY_E_TOO_LARGE (a file over the server's limit; details.limit/size),
   *   VOLLY_E_QUOTA_EXCEEDED (over the account's storage quota), VOLLY_E_USAGE (no files, too
   *   many, a bad name, type or thumbnail, a caption too long, a path that is no readable file),
   *   VOLLY_E_UNKNOWN_CONVERSATION, VOLLY_E_NOT_GROUP_MEMBER, VOLLY_E_UNKNOWN_MESSAGE (`replyTo`
   *   or `threadId` unknown here)
   */
  send(
    conversationId: string,
    files: OutgoingAttachment[],
    options?: AttachmentSendOptions,
  ): Promise<MessageRecord>;

  /**
   * Stops an outgoing message with files before the server stored it: the upload is ended on the
   * server, the pending record and the kept sources removed. A message already sent is not
   * touched (delete it instead).
   */
  cancel(messageId: string): Promise<void>;

  /**
   * Resolves once the outgoing message `messageId` left the upload stage for good: sent (the
   * record), or failed (throws its VollyError). For callers that wait, like `volly send`.
   */
  whenSent(messageId: string): Promise<MessageRecord>;

  /**
   * The decrypted bytes of a file, fetched from the server as they are read. Every chunk is
   * authenticated before it is given out; when the whole file is read, the ciphertext's SHA-256 is
   * checked against the blob id too. A `range` fetches only the chunks holding those bytes (video
   * seeking).
   *
   * @param range plaintext bytes [start, end) (default: the whole file)
   * @returns a stream that errors with VollyError VOLLY_E_BLOB_MISMATCH (tampered or truncated),
   *   VOLLY_E_NOT_FOUND (deleted, or not a member), VOLLY_E_SERVER_UNREACHABLE
   */
  open(pointer: AttachmentPointer, range?: ByteRange): ReadableStream<Uint8Array>;

  /**
   * The whole decrypted file, hash checked. Throws like {@link FileAttachments.open}'s stream.
   */
  download(pointer: AttachmentPointer): Promise<Uint8Array>;

  /**
   * Node: decrypts the file into `path` as it downloads (never the whole file in memory); the file
   * is written under a temporary name and renamed once complete and verified, so a failure leaves
   * nothing at `path`. Throws like {@link FileAttachments.download}, and VOLLY_E_USAGE outside Node.
   */
  saveTo(pointer: AttachmentPointer, path: string): Promise<void>;

  /**
   * The files of a conversation's messages, newest first (a message with several files gives one
   * item per file, in their order).
   */
  gallery(conversationId: string, options?: GalleryOptions): Promise<GalleryItem[]>;
}
