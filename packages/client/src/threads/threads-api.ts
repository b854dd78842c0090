import type { MessageRecord } from "../messaging/message-records.js";

/** One thread of a community channel, as {@link Threads.list} returns it. */
export interface ThreadSummary {
  /** The id of the thread's root message. */
  rootId: string;
  /**
   * The root message: a text, or a tombstone (`body.type` "deleted": UIs say "original deleted");
   * absent when this device does not hold it (e.g. older than the history it received).
   */
  root?: MessageRecord;
  /** How many replies this device holds in the thread (deleted ones included, as tombstones). */
  replyCount: number;
  /** When the newest reply was sent (sender's clock, ms). */
  lastReplyAt: number;
  /**
   * Incoming replies received after the thread was last marked read on this device
   * ({@link Threads.markRead}); never a reply shared by a member's history bundle. Separate from
   * the channel's unread count, which thread replies never add to.
   */
  unread: number;
}

/**
 * `client.threads`: threads in community channels, like Discord's. A thread is a root message of a
 * channel and the messages sent with `threadId` = its id (`messaging.send(…, { threadId })`). Thread
 * replies are ordinary encrypted messages of the channel's group (the server sees nothing new);
 * they are `MessageRecord`s with `threadId` set, which UIs leave out of the channel's main timeline
 * (the root shows "N replies"); reactions, edits, deletes and pins work on them as on any message.
 * Each thread has its own unread count and read mark (kept on this device); thread replies never
 * count in the channel's unread. Replies to a deleted root stay in their thread.
 */
export interface Threads {
  /**
   * The threads of a conversation, most recent reply first, among its newest
   * `HISTORY_MAX_PER_CONVERSATION` messages. Empty for a conversation that is no community channel.
   *
   * @throws VollyError VOLLY_E_UNKNOWN_CONVERSATION
   */
  list(conversationId: string): Promise<ThreadSummary[]>;

  /**
   * The replies of one thread, oldest first (the root is {@link ThreadSummary.root}, or
   * `messaging` history).
   *
   * @param rootId the thread's root message id
   * @param limit how many of the newest replies at most (default 200)
   * @throws VollyError VOLLY_E_UNKNOWN_CONVERSATION
   */
  messages(conversationId: string, rootId: string, limit?: number): Promise<MessageRecord[]>;

  /**
   * Marks a thread read on this device up to now (its {@link ThreadSummary.unread} becomes 0). The
   * channel's own read mark is `messaging.markRead`.
   *
   * @throws VollyError VOLLY_E_UNKNOWN_CONVERSATION
   */
  markRead(conversationId: string, rootId: string): Promise<void>;
}
