import type { GroupMember, MlsGroup } from "@volly/crypto";
import { VollyError } from "@volly/protocol";
import type { ClientContext } from "../shared/client-context.js";
import type { KeyedQueue } from "../shared/keyed-queue.js";
import { ListenerSet } from "../shared/listeners.js";
import type { VaultBatch } from "../storage/vault.js";
import type { ConversationRecord, MembershipEnd } from "./conversation-records.js";

/** How {@link ConversationState.markLeft} records the end of this device's membership. */
export interface MarkLeftOptions {
  /** The record to mark (e.g. advanced to the entry that removed the device); default: the stored one. */
  record?: ConversationRecord;
  /** How the membership ended, when known (kept only the first time). */
  end?: MembershipEnd;
  /**
   * Stages more writes in the same batch (the membership event), given the updated record; only
   * when the conversation was not left already.
   */
  stage?: (batch: VaultBatch, conv: ConversationRecord) => void;
}

/** A conversation's group state moved to a new epoch (or the device left the group). */
export interface EpochChange {
  conversationId: string;
  /** The new epoch (RFC 9420 §8), or -1 when `left`. */
  epoch: number;
  left: boolean;
}

/** Devices of other accounts that an incoming commit brought into a group this device is in. */
export interface DevicesJoined {
  conversationId: string;
  /** The devices added (leaves whose device id was not in the group before the commit). */
  added: GroupMember[];
  /** Every leaf after the commit, the added ones included. */
  members: GroupMember[];
  /** The commit's log time (the server's clock, ms). */
  at: number;
}

/**
 * The conversations' shared state: reads of the stored records and group states, the events every
 * conversation module emits (`changes`, `named` — public through `Conversations` — and the internal
 * `epochs` the commit pipeline waits on), and marking a conversation left. One per client.
 */
export class ConversationState {
  /**
   * Fires when a stored conversation changes: title, members, left, lastReadAt (never for the
   * account's hidden self conversation).
   */
  readonly changes = new ListenerSet<ConversationRecord>((c) => !c.self);
  /** Fires when a group gets a name: created or renamed here, or a group-meta message processed. */
  readonly named = new ListenerSet<ConversationRecord>((c) => !c.self);
  /** Fires when this device's state of a group reaches a new epoch or it leaves the group. */
  readonly epochs = new ListenerSet<EpochChange>();
  /**
   * Fires after an incoming commit that added devices of other accounts was stored (a member
   * joined, by external commit or by Add): channels share their history with them
   * (`communities/channel-history.ts`).
   */
  readonly joins = new ListenerSet<DevicesJoined>();

  constructor(
    private readonly ctx: ClientContext,
    private readonly queue: KeyedQueue,
  ) {}

  /** Every conversation of this profile, oldest first (not the hidden self conversation). */
  async list(): Promise<ConversationRecord[]> {
    const rows = await this.ctx.stores.conversations.list();
    return rows
      .map(([, c]) => c)
      .filter((c) => !c.self)
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  /** One conversation; throws VOLLY_E_UNKNOWN_CONVERSATION. */
  get(id: string): Promise<ConversationRecord> {
    return this.ctx.stores.conversations.require(id);
  }

  /**
   * A group conversation this device is still in. Throws VOLLY_E_UNKNOWN_CONVERSATION, VOLLY_E_USAGE
   * (a direct conversation), VOLLY_E_NOT_GROUP_MEMBER (left).
   */
  async requireGroup(id: string): Promise<ConversationRecord> {
    const conv = await this.get(id);
    if (conv.kind !== "group") {
      throw new VollyError("VOLLY_E_USAGE", "This is a direct conversation; create a group instead.");
    }
    if (conv.left) throw new VollyError("VOLLY_E_NOT_GROUP_MEMBER", "You are no longer in this group.");
    return conv;
  }

  /** The direct conversation with `handle`, if one exists. */
  async findDirect(handle: string): Promise<ConversationRecord | undefined> {
    const id = await this.ctx.stores.directConversations.get(handle);
    return id ? this.ctx.stores.conversations.get(id) : undefined;
  }

  /**
   * A conversation's MLS group state; throws VOLLY_E_UNKNOWN_CONVERSATION (none stored, e.g. left),
   * VOLLY_E_DECRYPT_FAILED (it does not unseal or decode).
   */
  loadGroup(id: string): Promise<MlsGroup> {
    return this.ctx.stores.groupStates.load(id);
  }

  /**
   * Marks a conversation left (this device left or was removed): no more sending, and its group
   * state, pending commit and departures are erased (the history stays). Runs in its queue.
   */
  async markLeft(conversationId: string, options: MarkLeftOptions = {}): Promise<ConversationRecord> {
    return this.queue.run(conversationId, () => this.markLeftLocked(conversationId, options));
  }

  /** {@link markLeft} for a caller already in the conversation's queue; returns the record. */
  async markLeftLocked(conversationId: string, options: MarkLeftOptions = {}): Promise<ConversationRecord> {
    const conv = options.record ?? (await this.get(conversationId));
    const updated: ConversationRecord = {
      ...conv,
      left: true,
      ...(options.end && !conv.left ? { membershipEnd: options.end } : {}),
    };
    const { stores } = this.ctx;
    const batch = stores.conversations.save(stores.batch(), updated);
    stores.groupStates.delete(batch, conversationId);
    stores.pendingCommits.delete(batch, conversationId);
    stores.departures.delete(batch, conversationId);
    if (!conv.left) options.stage?.(batch, updated);
    await batch.commit();
    this.epochs.emit({ conversationId, epoch: -1, left: true });
    if (!conv.left) this.changes.emit(updated);
    return updated;
  }
}
