import { newId, type ReceiptContent } from "@volly/protocol";
import type { SettingsService } from "../account/settings.js";
import type { ConversationRecord } from "../conversations/conversation-records.js";
import type { ConversationsService } from "../conversations/conversations.js";
import type { ClientContext } from "../shared/client-context.js";
import type { KeyedQueue } from "../shared/keyed-queue.js";
import { unrefTimer } from "../shared/timers.js";
import type { VaultBatch } from "../storage/vault.js";
import { isConversational } from "./message-kinds.js";
import type { MessageRecord } from "./message-records.js";
import { maxStatus, type Outbox } from "./outbox.js";

/** Delivery receipts are batched: one per conversation per window of this many ms. */
export const RECEIPT_BATCH_MS = 300;
/** Most message ids in one receipt (the protocol's limit). */
export const RECEIPT_MAX_IDS = 500;
/**
 * Receipts are not sent in conversations with more other member accounts than this: each receipt is
 * a group message every member decrypts, so their cost grows with the square of the group's size.
 */
export const RECEIPT_MAX_MEMBERS = 100;
/** How many of a conversation's newest messages `markRead` looks at. */
const READ_SCAN_LIMIT = 2_000;

/** What {@link Receipts} works with. */
export interface ReceiptsDeps {
  queue: KeyedQueue;
  outbox: Outbox;
  settings: SettingsService;
  conversations: ConversationsService;
}

/**
 * Delivery and read receipts (ReceiptContent, end-to-end encrypted like any message). Outgoing:
 * "delivered" for every stored incoming text (batched per conversation), "read" from
 * {@link markRead} when the user has read receipts on — never for membership events, which each
 * device derives itself. Incoming: moves the referenced outgoing
 * messages from "sent" to "delivered" to "read" once every other member account has reported it.
 * Receipts are never shown as messages, never counted unseen, never answered with receipts, and
 * not sent at all in conversations with more than RECEIPT_MAX_MEMBERS other accounts, nor in
 * community channels.
 */
export class Receipts {
  private readonly pending = new Map<string, Set<string>>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly ctx: ClientContext,
    private readonly deps: ReceiptsDeps,
  ) {}

  /** Notes a stored incoming message; its "delivered" receipt goes out within RECEIPT_BATCH_MS. */
  noteDelivered(conversationId: string, messageId: string): void {
    let ids = this.pending.get(conversationId);
    if (!ids) {
      ids = new Set();
      this.pending.set(conversationId, ids);
    }
    ids.add(messageId);
    if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.flushDelivered().catch(this.ctx.diagnostics.catcher("receipts.flush"));
      }, RECEIPT_BATCH_MS);
      unrefTimer(this.timer);
    }
  }

  /** Queues the batched "delivered" receipts now and sends them in the background. */
  async flushDelivered(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batches = [...this.pending.entries()];
    this.pending.clear();
    for (const [conversationId, ids] of batches) {
      await this.queueReceipt(conversationId, "delivered", [...ids]).catch(
        this.ctx.diagnostics.catcher("receipts.queue"),
      );
    }
    if (batches.length > 0) void this.deps.outbox.flush().catch(this.ctx.diagnostics.catcher("outbox.flush"));
  }

  /**
   * Sets the conversation's `lastReadAt` to now and, when `settings.readReceipts` is on, queues a
   * "read" receipt for the incoming messages not yet reported read (sent in the background).
   * Throws VOLLY_E_UNKNOWN_CONVERSATION.
   */
  async markRead(conversationId: string): Promise<ConversationRecord> {
    const { conv, unreported } = await this.deps.queue.run(conversationId, async () => {
      const conv = await this.deps.conversations.get(conversationId);
      const { stores } = this.ctx;
      const watermark = (await stores.readReceiptMarks.get(conversationId)) ?? 0;
      const messages = await stores.messages.recent(conversationId, READ_SCAN_LIMIT);
      const unreported = messages.filter(
        (m) => m.direction === "in" && isConversational(m) && m.receivedAt > watermark,
      );
      const now = Date.now();
      const newest = Math.max(watermark, ...unreported.map((m) => m.receivedAt));
      const updated: ConversationRecord = { ...conv, lastReadAt: Math.max(now, conv.lastReadAt ?? 0) };
      const batch = stores.conversations.save(stores.batch(), updated);
      await stores.readReceiptMarks.put(batch, conversationId, newest).commit();
      return { conv: updated, unreported };
    });
    this.deps.conversations.changes.emit(conv);
    const settings = await this.deps.settings.get();
    if (settings.readReceipts && unreported.length > 0 && !conv.left) {
      await this.queueReceipt(
        conversationId,
        "read",
        unreported.map((m) => m.id),
      );
      void this.deps.outbox.flush().catch(this.ctx.diagnostics.catcher("outbox.flush"));
    }
    return conv;
  }

  /**
   * Applies a receipt from `accountId` (inside the conversation's queue): stages the updated
   * outgoing messages in `batch` and returns them. Receipts from this account's own devices, and
   * ids of messages that are not this conversation's outgoing ones, are ignored.
   */
  async applyLocked(
    conv: ConversationRecord,
    accountId: string,
    receipt: ReceiptContent,
    batch: VaultBatch,
  ): Promise<MessageRecord[]> {
    if (accountId === this.ctx.profile.accountId) return [];
    const updated: MessageRecord[] = [];
    for (const id of new Set(receipt.messageIds)) {
      const message = await this.ctx.stores.messages.get(id);
      if (
        !message ||
        message.conversationId !== conv.id ||
        message.direction !== "out" ||
        !isConversational(message)
      ) {
        continue;
      }
      const deliveredTo = new Set(message.deliveredTo ?? []);
      const readBy = new Set(message.readBy ?? []);
      deliveredTo.add(accountId);
      if (receipt.kind === "read") readBy.add(accountId);
      const current = new Set((conv.members ?? []).map((m) => m.accountId));
      let required = (message.recipients ?? [...current]).filter((a) => current.size === 0 || current.has(a));
      if (required.length === 0) required = [accountId];
      let status = message.status;
      if (required.every((a) => deliveredTo.has(a))) status = maxStatus(status, "delivered");
      if (required.every((a) => readBy.has(a))) status = maxStatus(status, "read");
      const next: MessageRecord = { ...message, deliveredTo: [...deliveredTo], readBy: [...readBy], status };
      if (
        next.status === message.status &&
        next.deliveredTo?.length === (message.deliveredTo?.length ?? 0) &&
        next.readBy?.length === (message.readBy?.length ?? 0)
      ) {
        continue;
      }
      this.ctx.stores.messages.put(batch, next);
      updated.push(next);
    }
    return updated;
  }

  /** Stops the batching timer (pending delivered receipts are dropped). */
  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }

  private async queueReceipt(
    conversationId: string,
    kind: "delivered" | "read",
    ids: string[],
  ): Promise<void> {
    const conv = await this.deps.conversations.get(conversationId);
    // Community channels are rooms, as in Discord: no receipts (each would reach every member).
    if (conv.left || conv.kind === "channel" || (conv.members?.length ?? 0) > RECEIPT_MAX_MEMBERS) return;
    for (let i = 0; i < ids.length; i += RECEIPT_MAX_IDS) {
      const content: ReceiptContent = {
        v: 1,
        type: "receipt",
        id: newId(),
        kind,
        messageIds: ids.slice(i, i + RECEIPT_MAX_IDS),
        sentAt: Date.now(),
      };
      await this.deps.outbox.add(conversationId, content);
    }
  }
}
