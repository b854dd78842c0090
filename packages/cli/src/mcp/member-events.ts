import { type ConversationSummary, type MessageEvent, type TextRecord, toMessageEvent } from "@volly/bot";
import type { ConversationRecord, MessageRecord } from "@volly/client";

/**
 * A stored message as machine members see it (`@volly/bot`'s `MessageEvent`, the JSON the daemon,
 * the webhooks and the MQTT bridge carry too). Undefined for what is no message to an agent:
 * membership events and tombstones of messages deleted for everyone. Unlike a bot's `onMessage`,
 * a channel's history shared by another member's device is kept: it is what the agent reads.
 */
export function memberMessage(record: MessageRecord): MessageEvent | undefined {
  return record.body.type === "text" ? toMessageEvent(record as TextRecord) : undefined;
}

/**
 * A conversation as machine members list it (`@volly/bot`'s `ConversationSummary`, as
 * `Bot.conversations()` gives it): `name` is the group's or channel's name, or the other member's
 * handle in a direct conversation; `unread` the incoming messages not marked read yet.
 */
export function toConversationSummary(conv: ConversationRecord, unread: number): ConversationSummary {
  return {
    id: conv.id,
    kind: conv.kind,
    name: conv.kind === "direct" ? (conv.peerHandle ?? conv.title) : conv.title,
    ...(conv.communityId !== undefined ? { communityId: conv.communityId } : {}),
    ...(conv.channelId !== undefined ? { channelId: conv.channelId } : {}),
    unread,
  };
}
