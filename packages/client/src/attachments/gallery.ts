import type { MessageStore } from "../storage/message-stores.js";
import type { GalleryItem, GalleryOptions } from "./attachments-api.js";

/** How many of a conversation's newest messages a gallery page looks through. */
const SCAN = 5_000;

/**
 * The files of a conversation's messages, newest first, one item per file (a message's files in
 * their order): at most `limit` (default 100), only `kinds` when given, only messages sent before
 * `before` (ms) when given. Looks through the conversation's newest 5,000 messages on this device.
 */
export async function galleryOf(
  messages: MessageStore,
  conversationId: string,
  { kinds, limit = 100, before }: GalleryOptions = {},
): Promise<GalleryItem[]> {
  const out: GalleryItem[] = [];
  const recent = await messages.recent(conversationId, SCAN);
  for (let i = recent.length - 1; i >= 0 && out.length < limit; i--) {
    const message = recent[i];
    if (!message?.attachments?.length || message.body.type !== "text") continue;
    if (before !== undefined && message.sentAt >= before) continue;
    for (const attachment of message.attachments) {
      if (kinds && !kinds.includes(attachment.kind)) continue;
      if (out.length < limit) out.push({ message, attachment });
    }
  }
  return out;
}
