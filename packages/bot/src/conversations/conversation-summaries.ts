import type { VollyClient } from "@volly/client";
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
    if (c.left) continue;
    out.push({
      id: c.id,
      kind: c.kind,
      name: c.kind === "direct" ? (c.peerHandle ?? c.title) : c.title,
      ...(c.communityId !== undefined ? { communityId: c.communityId } : {}),
      ...(c.channelId !== undefined ? { channelId: c.channelId } : {}),
      unread,
    });
  }
  return out;
}
