import { isConversational } from "../messaging/message-kinds.js";
import type { MessageRecord } from "../messaging/message-records.js";
import type { ConversationSummary } from "./conversation-records.js";
import type { ConversationServices } from "./conversation-services.js";

/** How many of a conversation's newest messages are read, growing until the unread ones are in. */
const SCAN_LIMITS = [20, 200, 2_000] as const;

/**
 * The conversation list (see `Conversations.summaries`): each conversation with its last message or
 * membership event (by sort key) and unread count — incoming messages (never membership events,
 * never a channel's history shared by a member's device, never a reply in a channel thread, which
 * `client.threads` counts per thread) with `receivedAt` after `lastReadAt` and a seq above
 * `readSeq`, counted among the newest 2,000 — and how many of those mention this account
 * (`mentionsMe`), most recent activity first.
 */
export async function summaries(s: ConversationServices): Promise<ConversationSummary[]> {
  const out: Array<ConversationSummary & { activity: number }> = [];
  for (const conversation of await s.state.list()) {
    const since = conversation.lastReadAt ?? 0;
    const readSeq = conversation.readSeq ?? 0;
    let unread = 0;
    let unreadMentions = 0;
    let lastMessage: MessageRecord | undefined;
    for (const limit of SCAN_LIMITS) {
      const messages = await s.ctx.stores.messages.recent(conversation.id, limit);
      // A channel thread's replies are not in its main timeline: neither its preview nor its unread.
      lastMessage = messages.findLast((m) => m.threadId === undefined);
      const unreadOnes = messages.filter(
        (m) =>
          m.direction === "in" &&
          m.threadId === undefined &&
          isConversational(m) &&
          m.sharedBy === undefined &&
          m.receivedAt > since &&
          !(m.seq !== undefined && m.seq <= readSeq),
      );
      unread = unreadOnes.length;
      unreadMentions = unreadOnes.filter((m) => m.mentionsMe === true).length;
      const oldest = messages[0];
      if (messages.length < limit || (oldest && oldest.receivedAt <= since)) break;
    }
    const activity = Math.max(conversation.createdAt, lastMessage?.receivedAt ?? 0);
    out.push({ conversation, unread, unreadMentions, activity, ...(lastMessage ? { lastMessage } : {}) });
  }
  return out
    .sort((a, b) => b.activity - a.activity)
    .map(({ activity: _, ...summary }) => summary as ConversationSummary);
}
