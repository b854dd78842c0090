import type { MlsGroup } from "@volly/crypto";
import type { AccountEntry, ClaimReason } from "@volly/protocol";
import type { ListenerSet } from "../shared/listeners.js";
import type { ConversationRecord, ConversationSummary } from "./conversation-records.js";
import type { ConversationServices } from "./conversation-services.js";
import { createNamedGroup } from "./creation.js";
import { openDirect } from "./direct.js";
import { rename } from "./group-names.js";
import { addDevices, addMembers, admins, grantAdmin, leave, removeMember } from "./membership.js";
import { summaries } from "./summaries.js";

/**
 * Conversations, the public verbs: each conversation is an MLS group whose members are devices.
 * Direct conversations (a 2-account group of all both people's devices) and group conversations
 * (create, add, remove, rename, leave, admins), the conversation list and notices.
 *
 * Every operation on one conversation's group state runs in that conversation's queue, commits are
 * adopted only once the delivery service accepted them (RFC 9420 §14: one commit per epoch, see
 * `group-commits.ts`), and a commit rejected as stale is rebuilt after the winning commit has been
 * processed. Incoming commits, departures and Welcomes are applied by the sync and messaging
 * pipelines, not through this class.
 *
 * Every membership change this device makes or processes — accounts added or removed by a commit,
 * members who left, renames, this account added by a Welcome — is recorded in the group's timeline
 * as a membership event (a `MessageRecord` with a `MembershipBody`, fired on `Messaging.received`;
 * see `membership-events.ts`). Nothing about it is sent: each device derives its own from MLS.
 */
export class Conversations {
  /**
   * Fires when a stored conversation changes: title, members, left, lastReadAt, notice (never for
   * the account's hidden self conversation).
   */
  readonly changes: ListenerSet<ConversationRecord>;
  /** Fires when a group gets a name: created or renamed here, or a group-meta message processed. */
  readonly named: ListenerSet<ConversationRecord>;

  /** @param services the client's conversation services (see `VollyClient`) */
  constructor(private readonly services: ConversationServices) {
    this.changes = services.state.changes;
    this.named = services.state.named;
  }

  /** Every conversation of this profile, oldest first (not the hidden self conversation). */
  list(): Promise<ConversationRecord[]> {
    return this.services.state.list();
  }

  /** One conversation; throws VOLLY_E_UNKNOWN_CONVERSATION. */
  get(id: string): Promise<ConversationRecord> {
    return this.services.state.get(id);
  }

  /** The direct conversation with `handle`, if one exists. */
  findDirect(handle: string): Promise<ConversationRecord | undefined> {
    return this.services.state.findDirect(handle);
  }

  /**
   * A snapshot of a conversation's MLS group state (read-only; e.g. its epoch or members). Throws
   * VOLLY_E_UNKNOWN_CONVERSATION (no state: unknown or left), VOLLY_E_DECRYPT_FAILED (unreadable).
   */
  loadGroup(id: string): Promise<MlsGroup> {
    return this.services.state.loadGroup(id);
  }

  /**
   * Returns the direct conversation with `account`, creating it when there is none: claims one key
   * package per device of the peer and of this account's other devices, checks each is signed by
   * the key the directory lists for that device, creates the MLS group, and commits the Adds with
   * one Welcome (RFC 9420 §12.4.3.1). State is adopted only after the delivery service accepted.
   * `reason` tells the server why the peer's key packages are claimed: `{type: "invite", invite}`
   * after accepting their invite, else a first contact by handle (rate-limited more strictly).
   * Throws VOLLY_E_USAGE (own account), VOLLY_E_KEY_PACKAGE_FOREIGN, VOLLY_E_NO_KEY_PACKAGE,
   * VOLLY_E_RATE_LIMITED, VOLLY_E_SERVER_UNREACHABLE.
   */
  openDirect(account: AccountEntry, reason?: ClaimReason): Promise<ConversationRecord> {
    return openDirect(this.services, account, reason);
  }

  /**
   * Conversations with their last message (by sort key) and unread count (incoming messages with
   * `receivedAt` after `lastReadAt` and a seq above `readSeq`, counted among the newest 2,000),
   * most recent activity first.
   */
  summaries(): Promise<ConversationSummary[]> {
    return summaries(this.services);
  }

  /**
   * Creates a group conversation named `name` with every device of the given accounts and this
   * account's other devices: one commit of Adds with one Welcome (RFC 9420 §12.1.1, §12.4.3.1),
   * then an encrypted group-meta message so every member learns the name. Throws VOLLY_E_USAGE
   * (empty or too long name), VOLLY_E_HANDLE_INVALID, VOLLY_E_UNKNOWN_HANDLE,
   * VOLLY_E_GROUP_FULL (more than LIMITS.maxGroupDevices devices in all, before any key package is
   * claimed), VOLLY_E_KEY_PACKAGE_FOREIGN, VOLLY_E_NO_KEY_PACKAGE, VOLLY_E_SERVER_UNREACHABLE.
   */
  createGroup(name: string, handles: string[]): Promise<ConversationRecord> {
    return createNamedGroup(this.services, name, handles);
  }

  /**
   * Adds every device of these accounts to a group in one commit (RFC 9420 §12.1.1) and re-sends
   * the group's name so the new members learn it. Accounts already in the group are skipped.
   * Throws VOLLY_E_UNKNOWN_CONVERSATION, VOLLY_E_USAGE (a direct conversation),
   * VOLLY_E_NOT_GROUP_MEMBER (left), VOLLY_E_UNKNOWN_HANDLE, VOLLY_E_GROUP_FULL (the group would
   * exceed LIMITS.maxGroupDevices devices; checked before any key package is claimed, and again by
   * the server), VOLLY_E_KEY_PACKAGE_FOREIGN, VOLLY_E_NO_KEY_PACKAGE, VOLLY_E_STALE_EPOCH (still
   * stale after MAX_COMMIT_ATTEMPTS), VOLLY_E_SERVER_UNREACHABLE.
   */
  addMembers(conversationId: string, handles: string[]): Promise<ConversationRecord> {
    return addMembers(this.services, conversationId, handles);
  }

  /**
   * Adds devices of this account (e.g. one just linked) to a conversation, direct or group, in one
   * commit of Add proposals with a Welcome (RFC 9420 §12.1.1, §12.4.3.1): claims a key package per
   * device and checks it against the keys the directory lists for this account. Devices not listed
   * for this account, or already in the group, are skipped; a group's name is re-sent so the new
   * devices learn it. Nothing happens for a conversation this device has left.
   *
   * @param deviceIds ids of this account's devices to add
   * @throws VOLLY_E_UNKNOWN_CONVERSATION, VOLLY_E_GROUP_FULL, VOLLY_E_NO_KEY_PACKAGE,
   *   VOLLY_E_KEY_PACKAGE_FOREIGN, VOLLY_E_STALE_EPOCH (still stale after MAX_COMMIT_ATTEMPTS),
   *   VOLLY_E_SERVER_UNREACHABLE
   */
  addDevices(conversationId: string, deviceIds: readonly string[]): Promise<ConversationRecord> {
    return addDevices(this.services, conversationId, deviceIds);
  }

  /**
   * Removes every device of `handle` from a group in one commit of Remove proposals
   * (RFC 9420 §12.1.3); the removed devices can no longer decrypt anything sent afterwards. Throws
   * VOLLY_E_UNKNOWN_CONVERSATION, VOLLY_E_USAGE (a direct conversation, or this account: use
   * {@link leave}), VOLLY_E_NOT_GROUP_MEMBER, VOLLY_E_UNKNOWN_HANDLE, VOLLY_E_STALE_EPOCH,
   * VOLLY_E_SERVER_UNREACHABLE.
   */
  removeMember(conversationId: string, handle: string): Promise<ConversationRecord> {
    return removeMember(this.services, conversationId, handle);
  }

  /**
   * Renames a group: an encrypted group-meta message (the server never sees the name). Throws
   * VOLLY_E_USAGE (bad name or a direct conversation), VOLLY_E_UNKNOWN_CONVERSATION,
   * VOLLY_E_NOT_GROUP_MEMBER.
   */
  rename(conversationId: string, name: string): Promise<ConversationRecord> {
    return rename(this.services, conversationId, name);
  }

  /**
   * Leaves a group (POST /v1/groups/:id/leave): the server stops delivering it to this device at
   * once and a departure entry asks the remaining member with the lowest leaf index to commit this
   * device's Remove (RFC 9420 §12.1.3). The conversation stays as read-only history (`left`, with
   * `membershipEnd` "left" and "You left" in its timeline).
   * Throws VOLLY_E_UNKNOWN_CONVERSATION, VOLLY_E_USAGE (a direct conversation),
   * VOLLY_E_SERVER_UNREACHABLE.
   */
  leave(conversationId: string): Promise<void> {
    return leave(this.services, conversationId);
  }

  /** Clears a conversation's notice once the user has seen it (emits `changes`). */
  async clearNotice(conversationId: string): Promise<void> {
    const { queue, state, ctx } = this.services;
    await queue.run(conversationId, async () => {
      const conv = await state.get(conversationId);
      if (conv.notice === undefined) return;
      const { notice: _shown, noticeAt: _at, ...cleared } = conv;
      await ctx.stores.conversations.save(ctx.stores.batch(), cleared).commit();
      state.changes.emit(cleared);
    });
  }

  /**
   * The accounts allowed to add and remove other accounts' devices in the conversation's group, as
   * the delivery service reports them (GroupResponse.adminAccountIds; the creator is the first).
   * Throws VOLLY_E_UNKNOWN_CONVERSATION, VOLLY_E_NOT_GROUP_MEMBER, VOLLY_E_SERVER_UNREACHABLE.
   */
  admins(conversationId: string): Promise<string[]> {
    return admins(this.services, conversationId);
  }

  /**
   * Makes the account of `handle` an admin of the conversation's group (only admins may). Returns the
   * admin account ids afterwards. Throws VOLLY_E_UNKNOWN_CONVERSATION, VOLLY_E_UNKNOWN_HANDLE,
   * VOLLY_E_NOT_GROUP_ADMIN, VOLLY_E_BAD_REQUEST (the account has no device in the group),
   * VOLLY_E_SERVER_UNREACHABLE.
   */
  grantAdmin(conversationId: string, handle: string): Promise<string[]> {
    return grantAdmin(this.services, conversationId, handle);
  }
}
