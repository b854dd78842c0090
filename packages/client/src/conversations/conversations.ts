import type { MlsGroup } from "@volly/crypto";
import type { AccountEntry, ClaimReason } from "@volly/protocol";
import { ownServerNames, typedHandle } from "../account/server-name.js";
import type { ListenerSet } from "../shared/listeners.js";
import type { ConversationRecord, ConversationSummary } from "./conversation-records.js";
import type { ConversationServices } from "./conversation-services.js";
import type { Conversations } from "./conversations-api.js";
import { createNamedGroup } from "./creation.js";
import { openDirect } from "./direct.js";
import { rename } from "./group-names.js";
import { addDevices, addMembers, admins, grantAdmin, leave, removeMember } from "./membership.js";
import { summaries } from "./summaries.js";

/**
 * The SDK's {@link Conversations} (see there for each public member): the public verbs delegate to
 * the conversation modules (direct, creation, membership, names, summaries) with the client's
 * {@link ConversationServices}. Also the internal verbs other services use: `loadGroup`,
 * `openDirect`, `addDevices` and the `named` event. Incoming commits, departures and Welcomes are
 * applied by the sync and messaging pipelines, not through this class.
 */
export class ConversationsService implements Conversations {
  readonly changes: ListenerSet<ConversationRecord>;
  /** Fires when a group gets a name: created or renamed here, or a group-meta message processed. */
  readonly named: ListenerSet<ConversationRecord>;

  /** @param services the client's conversation services (see `VollyClient`) */
  constructor(private readonly services: ConversationServices) {
    this.changes = services.state.changes;
    this.named = services.state.named;
  }

  list(): Promise<ConversationRecord[]> {
    return this.services.state.list();
  }

  get(id: string): Promise<ConversationRecord> {
    return this.services.state.get(id);
  }

  async findDirect(handle: string): Promise<ConversationRecord | undefined> {
    return this.services.state.findDirect(typedHandle(handle, ownServerNames(this.services.ctx.profile)));
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

  summaries(): Promise<ConversationSummary[]> {
    return summaries(this.services);
  }

  createGroup(name: string, handles: string[]): Promise<ConversationRecord> {
    return createNamedGroup(this.services, name, handles);
  }

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

  removeMember(conversationId: string, handle: string): Promise<ConversationRecord> {
    return removeMember(this.services, conversationId, handle);
  }

  rename(conversationId: string, name: string): Promise<ConversationRecord> {
    return rename(this.services, conversationId, name);
  }

  leave(conversationId: string): Promise<void> {
    return leave(this.services, conversationId);
  }

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

  admins(conversationId: string): Promise<string[]> {
    return admins(this.services, conversationId);
  }

  grantAdmin(conversationId: string, handle: string): Promise<string[]> {
    return grantAdmin(this.services, conversationId, handle);
  }
}
