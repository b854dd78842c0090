import type { ConversationRecord, VollyClient } from "@volly/client";
import type { ConversationSummary } from "../events.js";

/**
 * The conversations this member is in (not those it left or was removed from), most recent
 * activity first, as {@link ConversationSummary} JSON: a group's or channel's name, the other
 * member's handle for a direct conversation, and the unread count (incoming messages after the
 * last read mark; a bot that never marks read sees them all counted, up to 2,000).
 */
export async function conversationSummaries(client: VollyClient): Promise<ConversationSummary[]> {
  const out: ConversationSummary[] = [];
  for (const { conversation: c, unread } of await client.conversations.summaries()) {
    if (!c.left) out.push(toConversationSummary(c, unread));
  }
  return out;
}

/**
 * One conversation as {@link ConversationSummary} JSON: `name` is the group's or channel's name, or
 * the other member's handle in a direct conversation; `unread` the incoming messages not marked read.
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
