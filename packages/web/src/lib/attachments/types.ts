/**
 * The types of `client.attachments` as the UI uses them (issue 14 contract, "SDK"), declared from
 * the contract until the SDK's own types land. Nothing here loads the worker client: plain modules (media
 * processing, tests) can use them.
 */
import type { AttachmentKind, AttachmentPointer } from "@volly/protocol";
import type { GalleryItem, MessageRecord } from "../../worker/rpc-types.js";

export type { AttachmentKind, AttachmentPointer, GalleryItem };

/** One file to send (the SDK's `OutgoingAttachment`; the web app sends Blobs). */
export interface OutgoingAttachment {
  source: Blob | Uint8Array;
  name: string;
  mime: string;
  kind?: AttachmentKind;
  alt?: string;
  width?: number;
  height?: number;
  durationMs?: number;
  waveform?: Uint8Array;
  blurhash?: string;
  thumbnail?: Uint8Array;
}

/** The calls the UI makes; each rejects with an `SdkError`. */
export interface AttachmentsRemote {
  send(
    conversationId: string,
    files: OutgoingAttachment[],
    options?: { text?: string; replyTo?: string; threadId?: string },
  ): Promise<MessageRecord>;
  cancel(messageId: string): Promise<void>;
  /** The decrypted bytes as a stream (transferred from the worker, filled as they are decrypted). */
  open(
    pointer: AttachmentPointer,
    range?: { start: number; end: number },
  ): Promise<ReadableStream<Uint8Array>>;
  /** The whole decrypted file (its buffer transferred from the worker, not copied). */
  download(pointer: AttachmentPointer): Promise<Uint8Array>;
  gallery(
    conversationId: string,
    options?: { kinds?: AttachmentKind[]; limit?: number; before?: number },
  ): Promise<GalleryItem[]>;
}
