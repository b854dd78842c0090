import { VollyError } from "@volly/protocol";
import type { MessageRecord } from "../messaging/message-records.js";
import type { MessageStore } from "../storage/message-stores.js";

/** What deciding a message's thread needs of its conversation. */
export interface ThreadConversation {
  id: string;
  communityId?: string;
  channelId?: string;
}

/** Whether a conversation can hold threads: only a community channel's (README.md "Where"). */
export function hasThreads(conv: ThreadConversation): boolean {
  return conv.communityId !== undefined && conv.channelId !== undefined;
}

/**
 * The thread an outgoing message goes into: the root's id, or — when `threadId` names a reply in a
 * thread — that thread's root (threads do not nest). The root may be deleted ("original deleted").
 *
 * @param store this device's messages
 * @param conv the conversation the message is sent in
 * @param threadId the root message's id the caller gave
 * @returns the id of the thread's root
 * @throws VollyError VOLLY_E_USAGE (not a community channel), VOLLY_E_UNKNOWN_MESSAGE (no text or
 *   deleted message of this conversation here)
 */
export async function threadForSend(
  store: MessageStore,
  conv: ThreadConversation,
  threadId: string,
): Promise<string> {
  if (!hasThreads(conv)) {
    throw new VollyError("VOLLY_E_USAGE", "Threads exist only in community channels.", {
      conversationId: conv.id,
    });
  }
  const root = await store.get(threadId);
  if (!root || root.conversationId !== conv.id || root.body.type === "membership") {
    throw new VollyError("VOLLY_E_UNKNOWN_MESSAGE", "No such thread root in this conversation.", {
      messageId: threadId,
    });
  }
  return root.threadId ?? root.id;
}

/**
 * The thread and reply fields an incoming text message is stored with (README.md "Receiving"):
 * - in a community channel, `threadId` as sent, or the thread of a known root that is itself a
 *   reply in a thread; a known root of another conversation makes it a plain message;
 * - anywhere else (a direct or group conversation) the message is no thread reply: it is stored as
 *   a reply to the root (`replyTo`, unless it already replies to a message).
 *
 * @param store this device's messages
 * @param conv the conversation it arrived in
 * @param content the text content's `threadId` and `replyTo`
 */
export async function threadOfArrival(
  store: MessageStore,
  conv: ThreadConversation,
  content: { threadId?: string; replyTo?: string },
): Promise<Pick<MessageRecord, "threadId" | "replyTo">> {
  const { threadId, replyTo } = content;
  const reply = replyTo !== undefined ? { replyTo } : {};
  if (threadId === undefined) return reply;
  if (!hasThreads(conv)) return { replyTo: replyTo ?? threadId };
  const root = await store.get(threadId);
  if (root && root.conversationId !== conv.id) return reply;
  return { ...reply, threadId: root?.threadId ?? threadId };
}
