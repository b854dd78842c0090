import { HISTORY_MAX_PER_CONVERSATION } from "../account/account-sync/history-handover.js";
import type { ConversationState } from "../conversations/conversation-state.js";
import type { MessageRecord } from "../messaging/message-records.js";
import type { Stores } from "../storage/stores.js";
import { hasThreads } from "./thread-roots.js";
import type { ThreadSummary, Threads } from "./threads-api.js";

/**
 * The SDK's {@link Threads} (see there and README.md): derived from the stored messages of a
 * channel conversation, with one read mark per thread (`Stores.threadReadMarks`, by root id: the
 * `receivedAt` up to which the thread was read).
 */
export class ThreadsService implements Threads {
  /**
   * @param stores the profile's record stores
   * @param conversations the conversations' records (to check a conversation exists)
   */
  constructor(
    private readonly stores: Stores,
    private readonly conversations: ConversationState,
  ) {}

  async list(conversationId: string): Promise<ThreadSummary[]> {
    const replies = await this.replies(conversationId);
    const byRoot = new Map<string, MessageRecord[]>();
    for (const m of replies) {
      const rootId = m.threadId as string;
      const list = byRoot.get(rootId);
      if (list) list.push(m);
      else byRoot.set(rootId, [m]);
    }
    const out: ThreadSummary[] = [];
    for (const [rootId, list] of byRoot) {
      const root = await this.stores.messages.get(rootId);
      out.push({
        rootId,
        ...(root && root.conversationId === conversationId ? { root } : {}),
        replyCount: list.length,
        lastReplyAt: Math.max(...list.map((m) => m.sentAt)),
        unread: unreadOf(list, (await this.stores.threadReadMarks.get(rootId)) ?? 0),
      });
    }
    return out.sort((a, b) => b.lastReplyAt - a.lastReplyAt);
  }

  async messages(conversationId: string, rootId: string, limit = 200): Promise<MessageRecord[]> {
    const replies = (await this.replies(conversationId)).filter((m) => m.threadId === rootId);
    return replies.slice(Math.max(0, replies.length - limit));
  }

  async markRead(conversationId: string, rootId: string): Promise<void> {
    const replies = await this.messages(conversationId, rootId, HISTORY_MAX_PER_CONVERSATION);
    const { stores } = this;
    const mark = Math.max(
      Date.now(),
      (await stores.threadReadMarks.get(rootId)) ?? 0,
      ...replies.map((m) => m.receivedAt),
    );
    await stores.threadReadMarks.put(stores.batch(), rootId, mark).commit();
  }

  /** The thread replies among the conversation's newest messages, oldest first. */
  private async replies(conversationId: string): Promise<MessageRecord[]> {
    const conv = await this.conversations.get(conversationId);
    if (!hasThreads(conv)) return [];
    const messages = await this.stores.messages.recent(conversationId, HISTORY_MAX_PER_CONVERSATION);
    return messages.filter((m) => m.threadId !== undefined);
  }
}

/** Incoming replies (not shared history) received after `mark` (ms). */
function unreadOf(replies: readonly MessageRecord[], mark: number): number {
  return replies.filter((m) => m.direction === "in" && m.sharedBy === undefined && m.receivedAt > mark)
    .length;
}
