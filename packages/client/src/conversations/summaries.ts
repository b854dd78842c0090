import { isConversational } from "../messaging/message-kinds.js";
import type { MessageRecord } from "../messaging/message-records.js";
import type { ConversationRecord, ConversationSummary } from "./conversation-records.js";
import type { ConversationServices } from "./conversation-services.js";
import type { TimelineSummary } from "./timeline-summaries.js";

/** How many of a conversation's newest messages are read, growing until the unread ones are in. */
const SCAN_LIMITS = [20, 200, 2_000] as const;

/**
 * The conversation list (see `Conversations.summaries`): each conversation with its last message or
 * membership event (by sort key) and unread count — incoming messages (never membership events,
 * never a channel's history shared by a member's device, never a reply in a channel thread, which
 * `client.threads` counts per thread) with `receivedAt` after `lastReadAt` and a seq above
 * `readSeq`, counted among the newest 2,000 — and how many of those mention this account
 * (`mentionsMe`), most recent activity first. What each entry takes from its messages is cached
 * (`timeline-summaries.ts`): only conversations written to or read since are counted again.
 */
export async function summaries(s: ConversationServices): Promise<ConversationSummary[]> {
  const conversations = await s.state.list();
  const counted = await s.summaries.of(conversations, (conversation) => countSummary(s, conversation));
  return conversations
    .map((conversation, i) => {
      const { lastMessage, unread, unreadMentions } = counted[i]!;
      const activity = Math.max(conversation.createdAt, lastMessage?.receivedAt ?? 0);
      const summary: ConversationSummary = {
        conversation,
        unread,
        unreadMentions,
        ...(lastMessage ? { lastMessage } : {}),
      };
      return { summary, activity };
    })
    .sort((a, b) => b.activity - a.activity)
    .map(({ summary }) => summary);
}

/** Counts one conversation's {@link TimelineSummary} from its newest messages. */
async function countSummary(
  s: ConversationServices,
  conversation: ConversationRecord,
): Promise<TimelineSummary> {
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
  return { lastReadAt: since, readSeq, unread, unreadMentions, ...(lastMessage ? { lastMessage } : {}) };
}
