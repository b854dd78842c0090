import type { VollyError } from "@volly/protocol";
import type { Listeners } from "../shared/listeners.js";
import type { MessageAction } from "./actions/message-action.js";
import type { DeliveryDiagnostic } from "./delivery-log.js";
import type { MessageRecord, UndecryptableCounts } from "./message-records.js";

/** Options of {@link Messaging.send} and {@link Messaging.enqueue}. */
export interface SendOptions {
  /** The id of the message this one replies to (a text message of the same conversation). */
  replyTo?: string;
  /**
   * Sends the message as a reply in this thread: the id of the thread's root message (a message of
   * the same community channel conversation; a reply in a thread names that thread's root). Only in
   * community channels (see `client.threads`).
   */
  threadId?: string;
  /**
   * The message id to use instead of a fresh random one (22 base64url characters, `ID_PATTERN`):
   * makes a send idempotent for a caller that may repeat it, e.g. a bridge redelivering an MQTT
   * message after a restart. When this device already stored a message with this id in the same
   * conversation, nothing new is queued: the stored message is flushed and returned. The server
   * answers VOLLY_E_MESSAGE_ID_CONFLICT when it holds this id with another ciphertext (sent before
   * by a device that lost its state). Another conversation's id: VOLLY_E_MESSAGE_ID_CONFLICT.
   */
  id?: string;
}

/**
 * `client.messaging`: messages. A message is encrypted in its conversation's queue, and the new
 * group state, the ciphertext and the message are stored together before anything goes out, so a
 * crash never reuses a key and a retry resends the same ciphertext under the same id (the server
 * drops duplicates). Incoming messages are processed as the gateway delivers them and fire the
 * same events.
 */
export interface Messaging {
  /**
   * Fires for each new message stored: incoming ones (texts and membership events), and outgoing
   * ones once the server accepted them.
   */
  readonly received: Listeners<MessageRecord>;
  /** Fires with the new record when a stored message changes status: queued, sent, delivered, read. */
  readonly updates: Listeners<MessageRecord>;
  /**
   * The client's log of delivery problems (ids and causes, never content): every message it could
   * not decrypt, every message skipped as older than this device's membership, every rejoin by
   * external commit. `volly receive` prints them on stderr.
   */
  readonly diagnostics: Listeners<DeliveryDiagnostic>;
  /**
   * Fires for each action applied to a stored message — a reaction added or taken back, an edit, a
   * deletion for everyone, a pin or unpin — by anyone, this device included, also for one that
   * waited for its message to arrive. {@link Messaging.updates} fires with the changed record too.
   */
  readonly actions: Listeners<MessageAction>;

  /**
   * Encrypts `text` for a conversation, queues it and sends it; resolves once the server stored it
   * durably.
   *
   * @param text the message, 1 to `LIMITS.maxTextChars` characters
   * @returns the stored message (status "sent" or later)
   * @throws VollyError VOLLY_E_UNKNOWN_CONVERSATION, VOLLY_E_NOT_GROUP_MEMBER (left or removed),
   *   VOLLY_E_USAGE (empty or too long text), VOLLY_E_SERVER_UNREACHABLE (the message stays queued
   *   and is retried in the background and by {@link Messaging.flushOutbox}), and the server's
   *   refusal for good, e.g. VOLLY_E_FORBIDDEN (details.permission "SEND_MESSAGES": in a community
   *   channel, timed out or without the permission; the message is not kept in the outbox),
   *   VOLLY_E_UNKNOWN_MESSAGE (`options.replyTo` is no text message of this conversation here, or
   *   `options.threadId` no message of it), VOLLY_E_USAGE (`options.threadId` outside a community channel)
   */
  send(conversationId: string, text: string, options?: SendOptions): Promise<MessageRecord>;

  /**
   * Encrypts `text` and queues it without waiting for the server: returns the "pending" record once
   * it is stored and sends in the background — in order, exactly once, also after a reconnect. This
   * is what a UI's composer uses; {@link Messaging.updates} reports "pending" at once, then "sent",
   * "delivered" and "read".
   *
   * @param text the message, 1 to `LIMITS.maxTextChars` characters
   * @returns the queued message (status "pending")
   * @throws VollyError VOLLY_E_UNKNOWN_CONVERSATION, VOLLY_E_NOT_GROUP_MEMBER, VOLLY_E_USAGE,
   *   VOLLY_E_UNKNOWN_MESSAGE (`options.replyTo` is no text message of this conversation here, or
   *   `options.threadId` no message of it), VOLLY_E_USAGE (`options.threadId` outside a community channel)
   */
  enqueue(conversationId: string, text: string, options?: SendOptions): Promise<MessageRecord>;

  /**
   * Adds this account's reaction to a message (one per account per emoji: reacting twice is one
   * reaction). Every device of every member shows it on the message (`MessageRecord.reactions`).
   *
   * @param messageId a text message of this conversation
   * @param emoji 1 to 32 characters without control characters (UIs send one emoji)
   * @returns the action as applied here, once the server stored it
   * @throws VollyError VOLLY_E_USAGE (bad emoji), VOLLY_E_UNKNOWN_MESSAGE (not a message of this
   *   conversation here, or deleted), VOLLY_E_UNKNOWN_CONVERSATION, VOLLY_E_NOT_GROUP_MEMBER,
   *   VOLLY_E_SERVER_UNREACHABLE (queued and sent later), and the server's refusal for good
   */
  react(conversationId: string, messageId: string, emoji: string): Promise<MessageAction>;

  /** Takes back this account's reaction `emoji` on a message (see {@link Messaging.react}; same errors). */
  unreact(conversationId: string, messageId: string, emoji: string): Promise<MessageAction>;

  /**
   * Replaces the text of one of this account's messages on every device. Receivers check the
   * sender's account against the message's (an edit from anyone else is ignored); the record keeps
   * `originalText`, every edit (`edits`) and `editedAt`.
   *
   * @param text the new text, 1 to `LIMITS.maxTextChars` characters
   * @throws VollyError VOLLY_E_FORBIDDEN (details.reason "not-sender": not this account's message),
   *   and the errors of {@link Messaging.react}
   */
  edit(conversationId: string, messageId: string, text: string): Promise<MessageAction>;

  /**
   * Deletes a message. `"everyone"`: the server removes its ciphertext (it allows this account's own
   * messages, and in a community channel anyone's to a member holding MANAGE_MESSAGES), then every
   * device of every member replaces the message with a tombstone (body `"deleted"`). `"me"`: removes
   * it from this device only.
   *
   * @returns `"everyone"`: the action as applied here; `"me"`: undefined
   * @throws VollyError VOLLY_E_FORBIDDEN (details.permission "MANAGE_MESSAGES"), VOLLY_E_UNKNOWN_MESSAGE,
   *   VOLLY_E_USAGE (another scope), and the errors of {@link Messaging.react}
   */
  delete(
    conversationId: string,
    messageId: string,
    scope: "everyone" | "me",
  ): Promise<MessageAction | undefined>;

  /**
   * Pins a message for the conversation (every member sees it in {@link Messaging.pinned}); in a
   * community channel this needs MANAGE_MESSAGES.
   *
   * @throws VollyError VOLLY_E_FORBIDDEN (details.permission "MANAGE_MESSAGES"), and the errors of
   *   {@link Messaging.react}
   */
  pin(conversationId: string, messageId: string): Promise<MessageAction>;

  /** Unpins a message (see {@link Messaging.pin}; same errors). */
  unpin(conversationId: string, messageId: string): Promise<MessageAction>;

  /** The pinned messages of a conversation, in the order they were pinned. */
  pinned(conversationId: string): Promise<MessageRecord[]>;

  /**
   * Returns other accounts' actions on messages not yet shown to the user, oldest applied first,
   * and marks them shown (what `volly receive` prints next to the messages of {@link Messaging.takeUnseen}).
   *
   * @param conversationId only this conversation's (the others stay unseen)
   */
  takeUnseenActions(conversationId?: string): Promise<MessageAction[]>;

  /**
   * The newest messages of a conversation (texts and membership events), oldest first; with
   * `before`, the newest of those older than that message (by `sentAt`, then id in code-unit
   * order) — the next page when scrolling back.
   *
   * @param limit how many at most (default 200)
   * @param before a message of the conversation (its `id` and `sentAt`), e.g. the oldest one shown
   * @throws VollyError VOLLY_E_USAGE when `before` is not an id and a finite `sentAt`
   */
  history(
    conversationId: string,
    limit?: number,
    before?: Pick<MessageRecord, "id" | "sentAt">,
  ): Promise<MessageRecord[]>;

  /**
   * Marks a conversation read up to now (its unread count becomes 0) and, when the `readReceipts`
   * setting is on, sends read receipts for the incoming messages not yet reported read (in the
   * background). The read mark also goes to this account's other devices (account sync).
   *
   * @throws VollyError VOLLY_E_UNKNOWN_CONVERSATION
   */
  markRead(conversationId: string): Promise<void>;

  /**
   * Sends every queued outbox entry (messages, receipts, group names) now, oldest first. Stops at
   * the first failure that may be temporary (server unreachable, rate limited), leaving the rest
   * queued and retried later with backoff; an entry the server can never accept (this device is no
   * longer a member) is dropped. Never throws.
   */
  flushOutbox(): Promise<void>;

  /**
   * Why the server refused an outgoing message for good during this client's run (VOLLY_E_FORBIDDEN
   * when timed out in a community channel, …): the entry was dropped from the outbox. Undefined
   * when it was not refused (sent, or still queued). For callers of {@link Messaging.enqueue}.
   *
   * @param messageId the id of the queued message
   */
  refusal(messageId: string): VollyError | undefined;

  /**
   * How many entries wait in the outbox (messages, receipts, group names), counting messages with
   * files whose upload has not finished (`client.attachments`).
   */
  pendingCount(): Promise<number>;

  /**
   * Returns the incoming messages not yet shown to the user, oldest first, and marks them shown.
   * `volly receive` prints exactly these, so a message that arrived while another command was
   * syncing is still printed once.
   *
   * @param conversationId only this conversation's (the others stay unseen)
   */
  takeUnseen(conversationId?: string): Promise<MessageRecord[]>;

  /** Messages this device could not decrypt, counted by cause (empty when none). */
  undecryptable(): Promise<UndecryptableCounts>;

  /**
   * How many times this device rejoined a group by external commit because its group state was
   * lost or forked (each also leaves `RECOVERY_NOTICE` on the conversation).
   */
  recoveries(): Promise<number>;
}
