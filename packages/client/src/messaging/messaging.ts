import { newId, parse, TextContent, VollyError } from "@volly/protocol";
import type { AccountSync } from "../account/account-sync/account-sync.js";
import type { ConversationState } from "../conversations/conversation-state.js";
import type { ClientContext } from "../shared/client-context.js";
import type { Listeners } from "../shared/listeners.js";
import type { DeliveryDiagnostic, DeliveryLog } from "./delivery-log.js";
import type { MessageEvents } from "./message-events.js";
import type { MessageRecord, UndecryptableCounts } from "./message-records.js";
import type { Outbox } from "./outbox.js";
import type { Receipts } from "./receipts.js";

/** The services {@link Messaging} works with (one of each per client, shared with the others). */
export interface MessagingDeps {
  outbox: Outbox;
  receipts: Receipts;
  /** Publishes read marks to this account's other devices. */
  accountSync: AccountSync;
  /** The conversations' records. */
  conversations: ConversationState;
  /** The message events (also fired by the receiving pipeline). */
  events: MessageEvents;
  /** Counts of undecryptable messages and rejoins. */
  deliveryLog: DeliveryLog;
}

/**
 * Messages, the public verbs: sending (encrypted in the conversation's queue, then the new group
 * state, the ciphertext and the message saved in one batch before anything goes out — see
 * `outbox.ts` — so a crash never reuses a key and a retry resends the same ciphertext), history,
 * read marks, unseen messages and the delivery log. Incoming entries are processed by
 * `incoming.ts`, which fires the same `received` and `updates` events.
 */
export class Messaging {
  /** Fires for each new message stored (incoming, or outgoing once accepted). */
  readonly received: Listeners<MessageRecord>;
  /** Fires when a stored message changes: queued, sent, delivered, read. */
  readonly updates: Listeners<MessageRecord>;
  /**
   * The client's own log of delivery problems (never content): every message it could not decrypt,
   * by cause, and every rejoin by external commit. `volly receive` prints them on stderr.
   */
  readonly diagnostics: Listeners<DeliveryDiagnostic>;
  private lastSentAt = 0;

  /**
   * @param ctx the open profile
   * @param deps the shared outbox, receipts, account sync, conversations, events and delivery log
   */
  constructor(
    private readonly ctx: ClientContext,
    private readonly deps: MessagingDeps,
  ) {
    this.received = deps.events.received;
    this.updates = deps.events.updates;
    this.diagnostics = deps.deliveryLog.diagnostics;
    deps.outbox.sent.add((m) => {
      deps.events.received.emit(m);
      deps.events.updates.emit(m);
    });
  }

  /**
   * Encrypts `text` for a conversation and queues it; resolves once the server has durably stored
   * it (status "sent" or later). Throws VOLLY_E_UNKNOWN_CONVERSATION, VOLLY_E_NOT_GROUP_MEMBER,
   * VOLLY_E_USAGE (empty or too long text), or VOLLY_E_SERVER_UNREACHABLE — in which case the
   * message stays queued and is sent by the next {@link flushOutbox}.
   */
  async send(conversationId: string, text: string): Promise<MessageRecord> {
    const queued = await this.queueText(conversationId, text);
    await this.deps.outbox.flush();
    const stored = await this.ctx.stores.messages.get(queued.id);
    if (!stored || stored.status === "pending") {
      if ((await this.deps.conversations.get(conversationId)).left) {
        throw new VollyError("VOLLY_E_NOT_GROUP_MEMBER", "You are no longer in this conversation.");
      }
      throw new VollyError(
        "VOLLY_E_SERVER_UNREACHABLE",
        "The message is queued and will be sent when the server is reachable.",
      );
    }
    return stored;
  }

  /**
   * Encrypts `text` and queues it without waiting for the server: returns the "pending" record at
   * once (after it is stored) and sends in the background — in order, exactly once, also after a
   * reconnect. This is what a UI's composer uses; `updates` reports the status changes ("pending"
   * now, "sent" once the server stored it, then "delivered" and "read").
   * Throws VOLLY_E_UNKNOWN_CONVERSATION, VOLLY_E_NOT_GROUP_MEMBER, VOLLY_E_USAGE.
   */
  async enqueue(conversationId: string, text: string): Promise<MessageRecord> {
    const queued = await this.queueText(conversationId, text);
    this.deps.events.updates.emit(queued);
    void this.deps.outbox.flush().catch(this.ctx.diagnostics.catcher("outbox.flush"));
    return queued;
  }

  /** The newest `limit` messages of a conversation, oldest first. */
  async history(conversationId: string, limit = 200): Promise<MessageRecord[]> {
    return this.ctx.stores.messages.recent(conversationId, limit);
  }

  /**
   * Marks a conversation read up to now (unread count 0) and, when read receipts are on, sends a
   * read receipt for the incoming messages not yet acknowledged as read (in the background). With
   * account sync the read mark goes to this account's other devices too.
   * Throws VOLLY_E_UNKNOWN_CONVERSATION.
   */
  async markRead(conversationId: string): Promise<void> {
    await this.deps.receipts.markRead(conversationId);
    await this.deps.accountSync.noteRead(conversationId);
  }

  /** Sends every queued message, oldest first, stopping at the first network failure. */
  flushOutbox(): Promise<void> {
    return this.deps.outbox.flush();
  }

  /** Entries waiting in the outbox (messages, receipts, group names). */
  pendingCount(): Promise<number> {
    return this.deps.outbox.pendingCount();
  }

  /**
   * Returns incoming messages not yet shown to the user (optionally of one conversation), oldest
   * first, and marks them shown. `volly receive` prints exactly these, so a message that arrived
   * while another command was syncing is still printed once.
   */
  async takeUnseen(conversationId?: string): Promise<MessageRecord[]> {
    const { stores } = this.ctx;
    const batch = stores.batch();
    const out: MessageRecord[] = [];
    for (const [entryId, id] of await stores.unseen.entries()) {
      const message = await stores.messages.get(id);
      if (conversationId && message && message.conversationId !== conversationId) continue;
      if (message) out.push(message);
      stores.unseen.remove(batch, entryId);
    }
    await batch.commit();
    return out;
  }

  /** Messages this device could not decrypt, by cause. */
  undecryptable(): Promise<UndecryptableCounts> {
    return this.deps.deliveryLog.undecryptable();
  }

  /** How many times this device rejoined a group by external commit because its state was lost or forked. */
  recoveries(): Promise<number> {
    return this.deps.deliveryLog.recoveries();
  }

  /** Sends the batched delivery receipts now and stops background timers (used on close). */
  async dispose(): Promise<void> {
    await this.deps.receipts.flushDelivered().catch(this.ctx.diagnostics.catcher("receipts.flush"));
    this.deps.receipts.dispose();
    this.deps.outbox.dispose();
  }

  private async queueText(conversationId: string, text: string): Promise<MessageRecord> {
    const sentAt = this.nextSentAt();
    const conv = await this.deps.conversations.get(conversationId);
    if (conv.left)
      throw new VollyError("VOLLY_E_NOT_GROUP_MEMBER", "You are no longer in this conversation.");
    const id = newId();
    const content: TextContent = parse(
      TextContent,
      { v: 1, type: "text", id, text, sentAt },
      "VOLLY_E_USAGE",
    );
    const message: MessageRecord = {
      id,
      conversationId,
      from: this.ctx.profile.handle,
      fromDeviceId: this.ctx.profile.deviceId,
      direction: "out",
      body: { type: "text", text },
      sentAt,
      receivedAt: sentAt,
      status: "pending",
      recipients: (conv.members ?? []).map((m) => m.accountId),
    };
    await this.deps.outbox.add(conversationId, content, message);
    return message;
  }

  /** A strictly increasing clock (ms), so messages sent in one millisecond keep their order. */
  private nextSentAt(): number {
    this.lastSentAt = Math.max(Date.now(), this.lastSentAt + 1);
    return this.lastSentAt;
  }
}
