import { type Static, Type } from "@sinclair/typebox";
import { Base64Url, Id } from "./common.js";

/** Limits of attachments, shared by server and clients. */
export const ATTACHMENT_LIMITS = {
  /** Most attachments in one message. */
  perMessage: 10,
  /** Plaintext chunk size of the file AEAD (bytes; DESIGN.md "Attachments"). */
  chunkBytes: 64 * 1024,
  /** Default largest file (plaintext bytes) a server accepts; `VOLLY_MAX_UPLOAD_BYTES` changes it. */
  defaultMaxUploadBytes: 100 * 1024 * 1024,
  /** Largest inline thumbnail (bytes of the image; it travels inside the MLS message). */
  thumbnailBytes: 6 * 1024,
  /** Most waveform samples of a voice message (one byte each, 0–255 loudness). */
  waveformSamples: 100,
  /** Longest file name (characters). */
  name: 255,
  /** Longest alt text (characters). */
  alt: 1000,
} as const;

/**
 * A blob id: the SHA-256 of the blob's ciphertext, 32 bytes as 43 base64url characters. The
 * ciphertext is under a fresh random key, so the id says nothing about the plaintext; the server
 * checks it when the upload completes.
 */
export const BlobId = Type.String({
  pattern: "^[A-Za-z0-9_-]{43}$",
  description: "SHA-256 of the ciphertext, base64url (43 chars)",
});
export type BlobId = Static<typeof BlobId>;

/** What an attachment is, for how receivers show it. */
export const AttachmentKind = Type.Union([
  Type.Literal("file"),
  Type.Literal("image"),
  Type.Literal("video"),
  Type.Literal("voice"),
]);
export type AttachmentKind = Static<typeof AttachmentKind>;

/**
 * The pointer to one encrypted file, inside a text message (so inside MLS: the server never sees
 * it). Whoever holds it can fetch `blobId` from the conversation's server, check its SHA-256 and
 * decrypt it with `key` (file AEAD, `@volly/crypto` `file-aead.ts`).
 */
export const AttachmentPointer = Type.Object(
  {
    kind: AttachmentKind,
    blobId: BlobId,
    /** The file key: 32 random bytes, base64url. */
    key: Base64Url(43, "32-byte file key"),
    /** Plaintext size (bytes), before padding. */
    size: Type.Integer({ minimum: 0 }),
    /** Ciphertext size (bytes) as stored on the server. */
    ciphertextSize: Type.Integer({ minimum: 0 }),
    name: Type.String({ minLength: 1, maxLength: ATTACHMENT_LIMITS.name }),
    /** The media type the sender gave (RFC 6838), e.g. "image/webp"; receivers never trust it for rendering HTML. */
    mime: Type.String({ minLength: 3, maxLength: 127, pattern: "^[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+$" }),
    /** Image or video dimensions (pixels), so the timeline reserves the space before loading. */
    width: Type.Optional(Type.Integer({ minimum: 1, maximum: 65_535 })),
    height: Type.Optional(Type.Integer({ minimum: 1, maximum: 65_535 })),
    /** Video or voice length (ms). */
    durationMs: Type.Optional(Type.Integer({ minimum: 0 })),
    /** Voice message loudness, one byte (0–255) per sample, base64url. */
    waveform: Type.Optional(Base64Url(Math.ceil((ATTACHMENT_LIMITS.waveformSamples * 4) / 3))),
    /** BlurHash (https://blurha.sh) of an image or video poster. */
    blurhash: Type.Optional(
      Type.String({ minLength: 6, maxLength: 100, pattern: "^[0-9A-Za-z#$%*+,.:;=?@\\[\\]^_{|}~-]+$" }),
    ),
    /** A small JPEG/WebP thumbnail or video poster, base64url (inline: it is encrypted with the message). */
    thumbnail: Type.Optional(Base64Url(Math.ceil((ATTACHMENT_LIMITS.thumbnailBytes * 4) / 3))),
    /** Alt text the sender wrote, read by screen readers. */
    alt: Type.Optional(Type.String({ minLength: 1, maxLength: ATTACHMENT_LIMITS.alt })),
  },
  { additionalProperties: false },
);
export type AttachmentPointer = Static<typeof AttachmentPointer>;

/** The attachments of one message (at most {@link ATTACHMENT_LIMITS.perMessage}). */
export const Attachments = Type.Array(AttachmentPointer, {
  minItems: 1,
  maxItems: ATTACHMENT_LIMITS.perMessage,
});
export type Attachments = Static<typeof Attachments>;

/**
 * The blobs a message points at, declared in the SEND body so the server can tie each blob to the
 * message (and remove it with it). Each must be a completed upload to the same conversation, or
 * one the sender's account uploaded to another of its conversations (shared, e.g. an avatar).
 */
export const SendBlobIds = Type.Array(BlobId, {
  minItems: 1,
  maxItems: ATTACHMENT_LIMITS.perMessage,
  uniqueItems: true,
  description: "blobs the message points at (needs the 'attachment' declaration)",
});

/** Path parameters of `GET /v1/blobs/:blobId`. */
export const BlobParams = Type.Object({ blobId: BlobId }, { additionalProperties: false });
export type BlobParams = Static<typeof BlobParams>;

/**
 * tus `Upload-Metadata` keys of `POST /v1/uploads` (tus 1.0 creation extension), values
 * base64 as tus requires: `conversation` — the group id (an {@link Id}) the blob belongs to;
 * `sha256` (optional) — the {@link BlobId} the ciphertext must hash to, checked when the last byte
 * arrives. Without it the server names the blob by the SHA-256 it computes then, and answers the
 * final PATCH with it in the `Volly-Blob-Id` header (a client hashing while it uploads sends one
 * pass over the ciphertext instead of two).
 */
export const UploadMetadata = Type.Object(
  { conversation: Id, sha256: Type.Optional(BlobId) },
  { additionalProperties: false },
);
export type UploadMetadata = Static<typeof UploadMetadata>;

/** Bytes of AEAD tag per chunk (AES-256-GCM, NIST SP 800-38D, 128-bit tag). */
export const FILE_TAG_BYTES = 16;

/**
 * The plaintext size after padding (bytes): at least 256, then Padmé (Nikitin et al., "Reducing
 * Metadata Leakage from Encrypted Files and Communication with PURBs", PETS 2019 §4), which leaks
 * O(log log n) bits of the size and adds at most 12 %. Throws RangeError for a negative or
 * non-integer size.
 */
export function paddedSize(size: number): number {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`bad size ${size}`);
  if (size <= 256) return 256;
  const e = Math.floor(Math.log2(size));
  const s = Math.floor(Math.log2(e)) + 1;
  const step = 2 ** (e - s);
  return Math.ceil(size / step) * step;
}

/** How many chunks the file AEAD cuts `padded` bytes of plaintext into (at least one). */
export function chunkCount(padded: number): number {
  return Math.max(1, Math.ceil(padded / ATTACHMENT_LIMITS.chunkBytes));
}

/** The ciphertext size (bytes) of a file of `size` plaintext bytes: padded, plus one tag per chunk. */
export function blobSize(size: number): number {
  const padded = paddedSize(size);
  return padded + FILE_TAG_BYTES * chunkCount(padded);
}

/**
 * `GET /v1/uploads/limits`: what this server accepts, so a client refuses a file before it reads
 * it (the server checks again when the upload is created).
 */
export const UploadLimitsResponse = Type.Object({
  /** Largest file (plaintext bytes). */
  maxFileBytes: Type.Integer({ minimum: 0 }),
  /** Largest upload (ciphertext bytes) = blobSize(maxFileBytes). */
  maxBlobBytes: Type.Integer({ minimum: 0 }),
  /** The account's storage quota and what its live blobs and uploads take (bytes). */
  quotaBytes: Type.Integer({ minimum: 0 }),
  usedBytes: Type.Integer({ minimum: 0 }),
});
export type UploadLimitsResponse = Static<typeof UploadLimitsResponse>;
