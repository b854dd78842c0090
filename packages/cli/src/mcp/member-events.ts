import type { ConversationSummary, MessageEvent } from "@volly/bot";
import type { ConversationRecord, MessageRecord } from "@volly/client";
import { attachmentJson } from "../format.js";

/**
 * A stored text message as machine members see it (`MessageEvent` of `@volly/bot`'s events.ts,
 * the same JSON the daemon and the webhooks carry). Undefined for what is no message to an agent:
 * membership events and tombstones of messages deleted for everyone.
 */
export function toMessageEvent(m: MessageRecord): MessageEvent | undefined {
  if (m.body.type !== "text") return undefined;
  return {
    type: "message",
    id: m.id,
    conversationId: m.conversationId,
    ...(m.communityId !== undefined ? { communityId: m.communityId } : {}),
    ...(m.channelId !== undefined ? { channelId: m.channelId } : {}),
    ...(m.threadId !== undefined ? { threadId: m.threadId } : {}),
    from: {
      accountId: m.fromAccountId ?? "",
      handle: m.from,
      ...(m.fromDeviceId ? { deviceId: m.fromDeviceId } : {}),
    },
    direction: m.direction,
    text: m.body.text,
    sentAt: m.sentAt,
    ...(m.replyTo !== undefined ? { replyTo: m.replyTo } : {}),
    attachments: (m.attachments ?? []).map(attachmentJson),
  };
}

/**
 * A conversation as machine members list it (`ConversationSummary` of `@volly/bot`'s events.ts):
 * `name` is the group's or channel's name, or the other member's handle in a direct conversation;
 * `unread` the incoming messages not marked read yet.
 */
export function toConversationSummary(conv: ConversationRecord, unread: number): ConversationSummary {
  return {
    id: conv.id,
    kind: conv.kind,
    name: conv.kind === "direct" && conv.peerHandle ? conv.peerHandle : conv.title,
    ...(conv.communityId !== undefined ? { communityId: conv.communityId } : {}),
    ...(conv.channelId !== undefined ? { channelId: conv.channelId } : {}),
    unread,
  };
}
