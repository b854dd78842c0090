import {
  ATTACHMENT_LIMITS,
  AttachmentPointer,
  blobSize,
  parse,
  toBase64Url,
  VollyError,
} from "@volly/protocol";
import { ATTACHMENT_KINDS } from "./attachment-jobs.js";
import type { OutgoingAttachment } from "./attachments-api.js";

/** A syntactically valid blob id, to check a pointer before its real id is known. */
const PLACEHOLDER_BLOB_ID = "A".repeat(43);

/**
 * The pointer of an outgoing file before upload (all but `blobId`): its kind, fresh `key`, sizes,
 * name, type and the caller's previews, checked against `AttachmentPointer`.
 *
 * @param size the plaintext size (bytes)
 * @param key the file's fresh 32-byte key
 * @throws VollyError VOLLY_E_USAGE (a bad name, type, kind, dimensions, thumbnail over 6 KiB,
 *   waveform over 100 samples…)
 */
export function pendingPointer(
  file: OutgoingAttachment,
  size: number,
  key: Uint8Array,
): Omit<AttachmentPointer, "blobId"> {
  const kind = file.kind ?? "file";
  if (!ATTACHMENT_KINDS.includes(kind)) {
    throw new VollyError("VOLLY_E_USAGE", `The kind is one of ${ATTACHMENT_KINDS.join(", ")}.`);
  }
  if (file.thumbnail && file.thumbnail.length > ATTACHMENT_LIMITS.thumbnailBytes) {
    throw new VollyError(
      "VOLLY_E_USAGE",
      `A thumbnail is at most ${ATTACHMENT_LIMITS.thumbnailBytes} bytes.`,
    );
  }
  if (file.waveform && file.waveform.length > ATTACHMENT_LIMITS.waveformSamples) {
    throw new VollyError(
      "VOLLY_E_USAGE",
      `A waveform has at most ${ATTACHMENT_LIMITS.waveformSamples} samples.`,
    );
  }
  const pointer: Omit<AttachmentPointer, "blobId"> = {
    kind,
    key: toBase64Url(key),
    size,
    ciphertextSize: blobSize(size),
    name: file.name,
    mime: typeof file.mime === "string" ? file.mime.toLowerCase() : file.mime,
    ...(file.width !== undefined ? { width: file.width } : {}),
    ...(file.height !== undefined ? { height: file.height } : {}),
    ...(file.durationMs !== undefined ? { durationMs: file.durationMs } : {}),
    ...(file.waveform ? { waveform: toBase64Url(file.waveform) } : {}),
    ...(file.blurhash !== undefined ? { blurhash: file.blurhash } : {}),
    ...(file.thumbnail ? { thumbnail: toBase64Url(file.thumbnail) } : {}),
    ...(file.alt !== undefined && file.alt !== "" ? { alt: file.alt } : {}),
  };
  parse(AttachmentPointer, { ...pointer, blobId: PLACEHOLDER_BLOB_ID }, "VOLLY_E_USAGE");
  return pointer;
}
