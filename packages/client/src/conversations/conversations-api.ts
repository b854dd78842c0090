import type { Listeners } from "../shared/listeners.js";
import type { ConversationRecord, ConversationSummary } from "./conversation-records.js";

/**
 * `client.conversations`: direct and group conversations. Each conversation is an MLS group whose
 * members are devices; a direct conversation holds every device of both accounts, a group every
 * device of its member accounts. Every operation on one conversation runs in that conversation's
 * queue, and a commit is adopted only once the delivery service accepted it (RFC 9420 §14: one
 * commit per epoch), so concurrent changes never fork a group.
 *
 * Every membership change this device makes or processes (accounts added or removed, members who
 * left, renames, this account added) also appears in the conversation's timeline as a membership
 * event: a `MessageRecord` with a `MembershipBody`, fired on `Messaging.received`.
 */
export interface Conversations {
  /**
   * Fires with the new record whenever a stored conversation changes: title, members, left,
   * `lastReadAt`, `readSeq`, notice (never for the account's hidden self conversation).
   */
  readonly changes: Listeners<ConversationRecord>;

  /** Every conversation of this profile, oldest first (not the hidden self conversation). */
  list(): Promise<ConversationRecord[]>;

  /**
   * One conversation by id.
   *
   * @throws VollyError VOLLY_E_UNKNOWN_CONVERSATION
   */
  get(id: string): Promise<ConversationRecord>;

  /**
   * The direct conversation with the account of `handle`, or undefined when there is none yet
   * (`VollyClient.resolveConversation("@handle")` opens one). `handle` is read as a user types it
   * (`typedHandle`): `bob`, `@Bob`, `bob@<this server's name>` (all this server's bob) or
   * `user@server` (another server's account).
   *
   * @throws VollyError VOLLY_E_HANDLE_INVALID when `handle` is not a handle
   */
  findDirect(handle: string): Promise<ConversationRecord | undefined>;

  /**
   * Conversations with their last message (by sort key) and unread count (incoming messages with
   * `receivedAt` after `lastReadAt` and a seq above `readSeq`, counted among the newest 2,000) and
   * unread mention count (those of them with `mentionsMe`; both cleared by `markRead`), most recent
   * activity first.
   */
  summaries(): Promise<ConversationSummary[]>;

  /**
   * Creates a group conversation with every device of the given accounts and this account's other
   * devices (one commit of Adds with one Welcome, RFC 9420 §12.1.1, §12.4.3.1), then sends the name
   * encrypted so every member learns it (the server never sees it).
   *
   * @param name the group's name, 1–`MAX_GROUP_NAME_CHARS` characters
   * @param handles the other member accounts as typed (`typedHandle`): `bob` or `@bob` for this
   *   server's accounts (also `bob@<this server's name>`), `user@server` for another server's;
   *   this account's own handle is ignored
   * @returns the new conversation
   * @throws VollyError VOLLY_E_USAGE (empty or too long name), VOLLY_E_HANDLE_INVALID (one of
   *   `handles` is not a handle; checked before any lookup),
   *   VOLLY_E_UNKNOWN_HANDLE, VOLLY_E_GROUP_FULL (more than `LIMITS.maxGroupDevices` devices in all,
   *   checked before any key package is claimed), VOLLY_E_KEY_PACKAGE_FOREIGN,
   *   VOLLY_E_NO_KEY_PACKAGE, VOLLY_E_SERVER_UNREACHABLE
   */
  createGroup(name: string, handles: string[]): Promise<ConversationRecord>;

  /**
   * Adds every device of these accounts to a group in one commit (RFC 9420 §12.1.1) and re-sends
   * the group's name so the new members learn it. Accounts already in the group are skipped. Only
   * the group's admins may add other accounts.
   *
   * @param handles the accounts to add as typed (`typedHandle`): `bob`, `@bob`, or `user@server`
   *   for another server's account
   * @returns the conversation afterwards
   * @throws VollyError VOLLY_E_UNKNOWN_CONVERSATION, VOLLY_E_USAGE (a direct conversation),
   *   VOLLY_E_HANDLE_INVALID (one of `handles` is not a handle), VOLLY_E_NOT_GROUP_MEMBER (left),
   *   VOLLY_E_NOT_GROUP_ADMIN, VOLLY_E_UNKNOWN_HANDLE,
   *   VOLLY_E_GROUP_FULL (the group would exceed `LIMITS.maxGroupDevices` devices),
   *   VOLLY_E_KEY_PACKAGE_FOREIGN, VOLLY_E_NO_KEY_PACKAGE, VOLLY_E_STALE_EPOCH (still stale after
   *   `MAX_COMMIT_ATTEMPTS`), VOLLY_E_SERVER_UNREACHABLE
   */
  addMembers(conversationId: string, handles: string[]): Promise<ConversationRecord>;

  /**
   * Removes every device of `handle` from a group in one commit of Remove proposals
   * (RFC 9420 §12.1.3); the removed devices cannot decrypt anything sent afterwards.
   *
   * @param handle the member as typed (`typedHandle`): `bob`, `@bob`, or `user@server` for another
   *   server's account
   * @returns the conversation afterwards
   * @throws VollyError VOLLY_E_UNKNOWN_CONVERSATION, VOLLY_E_USAGE (a direct conversation, or this
   *   account: use {@link Conversations.leave}), VOLLY_E_HANDLE_INVALID (not a handle),
   *   VOLLY_E_NOT_GROUP_MEMBER, VOLLY_E_NOT_GROUP_ADMIN, VOLLY_E_UNKNOWN_HANDLE,
   *   VOLLY_E_STALE_EPOCH, VOLLY_E_SERVER_UNREACHABLE
   */
  removeMember(conversationId: string, handle: string): Promise<ConversationRecord>;

  /**
   * Renames a group: an encrypted group-meta message (the server never sees the name).
   *
   * @param name the new name, 1–`MAX_GROUP_NAME_CHARS` characters
   * @returns the conversation afterwards
   * @throws VollyError VOLLY_E_USAGE (bad name, or a direct conversation),
   *   VOLLY_E_UNKNOWN_CONVERSATION, VOLLY_E_NOT_GROUP_MEMBER
   */
  rename(conversationId: string, name: string): Promise<ConversationRecord>;

  /**
   * Leaves a group: the server stops delivering it to this device at once, and a remaining member
   * commits this device's removal (RFC 9420 §12.1.3). The conversation stays as read-only history
   * (`left`, with `membershipEnd` "left" and "You left" in its timeline).
   *
   * @throws VollyError VOLLY_E_UNKNOWN_CONVERSATION, VOLLY_E_USAGE (a direct conversation),
   *   VOLLY_E_SERVER_UNREACHABLE
   */
  leave(conversationId: string): Promise<void>;

  /**
   * Clears a conversation's `notice` (e.g. `RECOVERY_NOTICE`) once the user has seen it; fires
   * {@link Conversations.changes}. Does nothing when there is no notice.
   *
   * @throws VollyError VOLLY_E_UNKNOWN_CONVERSATION
   */
  clearNotice(conversationId: string): Promise<void>;

  /**
   * The accounts allowed to add and remove other accounts' devices in the conversation's group, as
   * the delivery service reports them (the creator first).
   *
   * @returns account ids
   * @throws VollyError VOLLY_E_UNKNOWN_CONVERSATION, VOLLY_E_NOT_GROUP_MEMBER,
   *   VOLLY_E_SERVER_UNREACHABLE
   */
  admins(conversationId: string): Promise<string[]>;

  /**
   * Makes the account of `handle` an admin of the conversation's group (only admins may).
   *
   * @returns the admin account ids afterwards
   * @throws VollyError VOLLY_E_UNKNOWN_CONVERSATION, VOLLY_E_UNKNOWN_HANDLE,
   *   VOLLY_E_NOT_GROUP_ADMIN, VOLLY_E_BAD_REQUEST (the account has no device in the group),
   *   VOLLY_E_SERVER_UNREACHABLE
   */
  grantAdmin(conversationId: string, handle: string): Promise<string[]>;
}
