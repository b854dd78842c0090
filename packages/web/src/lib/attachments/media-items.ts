/**
 * The media (images and videos) of a conversation's loaded messages, oldest first: what the
 * viewer's next/previous steps through.
 */
import type { AttachmentPointer, MessageRecord } from "../../worker/rpc-types.js";

/** One image or video of a message. */
export interface MediaItem {
  messageId: string;
  sentAt: number;
  from: string;
  pointer: AttachmentPointer;
}

/** Whether the viewer shows this kind. */
export function isViewable(pointer: AttachmentPointer): boolean {
  return pointer.kind === "image" || pointer.kind === "video";
}

/** The images and videos of `messages` (oldest first, a message's files in their order). */
export function mediaItems(messages: readonly MessageRecord[]): MediaItem[] {
  const items: MediaItem[] = [];
  for (const m of messages) {
    for (const pointer of m.attachments ?? []) {
      if (isViewable(pointer)) items.push({ messageId: m.id, sentAt: m.sentAt, from: m.from, pointer });
    }
  }
  return items;
}
