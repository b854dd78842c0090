import type { MessageEvent } from "@volly/bot";
import type { PublishedMessage } from "./payload.js";

/**
 * The JSON the bridge publishes on `PREFIX/CONVERSATION_ID/messages` for a received message:
 * `{id, conversationId, from, fromType?, text, sentAt, replyTo?}` (`from` is the sender's handle).
 */
export function publishedMessage(m: MessageEvent): PublishedMessage {
  return {
    id: m.id,
    conversationId: m.conversationId,
    from: m.from.handle,
    ...(m.from.entityType !== undefined ? { fromType: m.from.entityType } : {}),
    text: m.text,
    sentAt: m.sentAt,
    ...(m.replyTo !== undefined ? { replyTo: m.replyTo } : {}),
  };
}
