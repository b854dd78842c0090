import { type DecryptFailureCause, processMessage } from "@volly/crypto";
import {
  ApplicationContent,
  fromBase64Url,
  type GroupMessageEvent,
  newId,
  parse,
  TextContent,
  VollyError,
} from "@volly/protocol";
import type { AccountSync } from "../account/account-sync/account-sync.js";
import type { ConversationRecord } from "../conversations/conversation-records.js";
import type { ConversationServices } from "../conversations/conversation-services.js";
import { applyGroupNameLocked } from "../conversations/group-names.js";
import { needsResync } from "../conversations/resync.js";
import type { ClientContext } from "../shared/client-context.js";
import type { KeyedQueue } from "../shared/keyed-queue.js";
import { Listeners } from "../shared/listeners.js";
import type { MessageRecord, UndecryptableCounts } from "./message-records.js";
import type { Outbox } from "./outbox.js";
import type { Receipts } from "./receipts.js";

/**
 * One line of the client's delivery log: a message it could not decrypt ("undecryptable", with its
 * DecryptFailureCause), a rejoin by external commit after a lost or forked state ("resynced"), or a
 * rejoin that failed ("resync-failed", with the error code). Ids and causes only, never content.
 */
export interface DeliveryDiagnostic {
  kind: "undecryptable" | "resynced" | "resync-failed";
  cause: string;
  conversationId?: string;
  error?: string;
}

/** The services {@link Messaging} works with (one of each per client, shared with the others). */
export interface MessagingDeps {
  queue: KeyedQueue;
  outbox: Outbox;
  receipts: Receipts;
  /** Handles the account's self conversation and publishes read marks. */
  accountSync: AccountSync;
  /** The conversations' state and commit pipeline (incoming commits, departures, names). */
  conversations: ConversationServices;
}

/**
 * Sending and receiving messages. Outgoing messages are encrypted in their conversation's queue,
 * then the new group state, the ciphertext (outbox) and the message are saved in one batch before
 * anything goes out, so a crash never reuses a key and a retry resends the same ciphertext (the
 * server dedups by message id). Incoming entries of a group's log are processed one at a time in
 * the same queue: decrypted and saved with the new group state in one batch before the ack.
 */
export class Messaging {
  /** Fires for each new message stored (incoming, or outgoing once accepted). */
  readonly received = new Listeners<MessageRecord>();
  /** Fires when a stored message changes: queued, sent, delivered, read. */
  readonly updates = new Listeners<MessageRecord>();
  /**
   * The client's own log of delivery problems (never content): every message it could not decrypt,
   * by cause, and every rejoin by external commit. `volly receive` prints them on stderr.
   */
  readonly diagnostics = new Listeners<DeliveryDiagnostic>();
  private readonly queue: KeyedQueue;
  private readonly outbox: Outbox;
  private readonly receipts: Receipts;
  private readonly accountSync: AccountSync;
  private readonly conversations: ConversationServices;
  private lastSentAt = 0;

  /**
   * @param ctx the open profile
   * @param deps the shared queue, outbox, receipts, account sync and conversation services
   */
  constructor(
    private readonly ctx: ClientContext,
    deps: MessagingDeps,
  ) {
    this.queue = deps.queue;
    this.outbox = deps.outbox;
    this.receipts = deps.receipts;
    this.accountSync = deps.accountSync;
    this.conversations = deps.conversations;
    this.outbox.sent.add((m) => {
      this.received.emit(m);
      this.updates.emit(m);
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
    await this.outbox.flush();
    const stored = await this.ctx.stores.messages.get(queued.id);
    if (!stored || stored.status === "pending") {
      if ((await this.conversations.state.get(conversationId)).left) {
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
    this.updates.emit(queued);
    void this.outbox.flush().catch(() => undefined);
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
    await this.receipts.markRead(conversationId);
    await this.accountSync.noteRead(conversationId);
  }

  /** Sends every queued message, oldest first, stopping at the first network failure. */
  flushOutbox(): Promise<void> {
    return this.outbox.flush();
  }

  /** Entries waiting in the outbox (messages, receipts, group names). */
  pendingCount(): Promise<number> {
    return this.outbox.pendingCount();
  }

  /**
   * Processes one entry of a group's log in the conversation's queue: a commit (RFC 9420 §12.4.2:
   * members change, or this device was removed), a departure (a member left; see
   * {@link Conversations.leave}), or an application message — text (stored, then a delivery
   * receipt), a receipt (updates outgoing messages' status) or a group name. Duplicates (seq
   * already processed, or message id already stored) are dropped, so the user sees each message
   * once. Decryption failures are counted by cause and skipped; other failures (the store, the
   * server unreachable while resolving an own commit) are thrown so the entry is not acknowledged.
   *
   * @returns the stored text message, if the entry was one
   */
  async handleGroupMessage(event: GroupMessageEvent): Promise<MessageRecord | undefined> {
    const result = await this.queue.run(event.groupId, () => this.handleLocked(event));
    if (result?.message) this.received.emit(result.message);
    for (const m of result?.updated ?? []) this.updates.emit(m);
    if (result?.renamed) {
      this.conversations.state.changes.emit(result.renamed);
      this.conversations.state.named.emit(result.renamed);
    }
    if (result?.message && result.message.direction === "in") {
      this.receipts.noteDelivered(result.message.conversationId, result.message.id);
    }
    return result?.message;
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
  async undecryptable(): Promise<UndecryptableCounts> {
    return (await this.ctx.stores.undecryptable.get()) ?? {};
  }

  /** How many times this device rejoined a group by external commit because its state was lost or forked. */
  async recoveries(): Promise<number> {
    return (await this.ctx.stores.recoveries.get()) ?? 0;
  }

  /** Counts one message this device could not decrypt (e.g. a Welcome without its key package). */
  recordUndecryptable(cause: string): Promise<void> {
    return this.countUndecryptable(cause);
  }

  /** Sends the batched delivery receipts now and stops background timers (used on close). */
  async dispose(): Promise<void> {
    await this.receipts.flushDelivered().catch(() => undefined);
    this.receipts.dispose();
    this.outbox.dispose();
  }

  private async queueText(conversationId: string, text: string): Promise<MessageRecord> {
    const sentAt = this.nextSentAt();
    const conv = await this.conversations.state.get(conversationId);
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
    await this.outbox.add(conversationId, content, message);
    return message;
  }

  /** A strictly increasing clock (ms), so messages sent in one millisecond keep their order. */
  private nextSentAt(): number {
    this.lastSentAt = Math.max(Date.now(), this.lastSentAt + 1);
    return this.lastSentAt;
  }

  private async handleLocked(event: GroupMessageEvent): Promise<
    | {
        message?: MessageRecord;
        updated?: MessageRecord[];
        renamed?: ConversationRecord;
      }
    | undefined
  > {
    await this.conversations.commits.settleLocked(event.groupId).catch((err: unknown) => {
      if (!(err instanceof VollyError && err.code === "VOLLY_E_UNKNOWN_CONVERSATION")) throw err;
    });
    const { stores } = this.ctx;
    const conv = await stores.conversations.get(event.groupId);
    if (!conv) {
      await this.countUndecryptable("missing-state");
      return undefined;
    }
    if (event.seq <= conv.lastSeq) return undefined;
    const advanced: ConversationRecord = { ...conv, lastSeq: event.seq };
    if (conv.left) {
      await stores.conversations.save(stores.batch(), advanced).commit();
      return undefined;
    }
    if (event.kind === "departure") {
      await this.conversations.departures.recordLocked(advanced, event);
      return undefined;
    }
    if (await stores.messages.has(event.messageId)) {
      await stores.conversations.save(stores.batch(), advanced).commit();
      return undefined;
    }
    try {
      const group = await this.conversations.state.loadGroup(conv.id).catch((err: unknown) => {
        // no stored state, or one that does not decode: lost
        throw err instanceof VollyError &&
          (err.code === "VOLLY_E_UNKNOWN_CONVERSATION" || err.code === "VOLLY_E_DECRYPT_FAILED")
          ? new VollyError("VOLLY_E_DECRYPT_FAILED", err.message, { cause: "missing-state" })
          : err;
      });
      const processed = await processMessage(this.ctx.suite, group, fromBase64Url(event.payload));
      if (processed.kind === "commit") {
        const applied = await this.conversations.commits.applyIncomingLocked(advanced, processed.newGroup);
        if (applied.departed.length > 0) this.conversations.departures.schedule(conv.id);
        return {};
      }
      if (
        processed.sender.deviceId !== event.senderDeviceId ||
        processed.sender.accountId !== event.senderAccountId
      ) {
        throw new VollyError("VOLLY_E_DECRYPT_FAILED", "Sender does not match the MLS credential.", {
          cause: "bad-signature",
        });
      }
      if (conv.self) {
        const batch = stores.groupStates.put(stores.batch(), conv.id, processed.newGroup);
        await this.accountSync.handleLocked(advanced, event, processed.plaintext, processed.newGroup, batch);
        return {};
      }
      const content = parse(ApplicationContent, parseJson(processed.plaintext), "VOLLY_E_DECRYPT_FAILED");
      if (content.id !== event.messageId) {
        throw new VollyError("VOLLY_E_DECRYPT_FAILED", "Message id mismatch.", { cause: "other" });
      }
      const batch = stores.groupStates.put(stores.batch(), conv.id, processed.newGroup);
      const own = event.senderAccountId === this.ctx.profile.accountId;
      switch (content.type) {
        case "text": {
          const message: MessageRecord = {
            id: content.id,
            conversationId: conv.id,
            from: event.senderHandle,
            fromDeviceId: event.senderDeviceId,
            direction: own ? "out" : "in",
            body: { type: "text", text: content.text },
            sentAt: content.sentAt,
            receivedAt: Date.now(),
            status: own ? "sent" : "received",
            seq: event.seq,
          };
          stores.messages.put(stores.conversations.save(batch, advanced), message);
          if (!own) stores.unseen.add(batch, message);
          await batch.commit();
          return { message };
        }
        case "receipt": {
          const updated = await this.receipts.applyLocked(advanced, event.senderAccountId, content, batch);
          await stores.conversations.save(batch, advanced).commit();
          return { updated };
        }
        case "group-meta": {
          const renamed = await applyGroupNameLocked(this.conversations, advanced, content.name, batch);
          await batch.commit();
          return { renamed };
        }
        case "account-sync":
        case "history":
          // Only meaningful in the account's self conversation (handled above): ignored elsewhere.
          await stores.conversations.save(batch, advanced).commit();
          return {};
      }
    } catch (err) {
      if (!(err instanceof VollyError && err.code === "VOLLY_E_DECRYPT_FAILED")) throw err;
      const cause = String(err.details?.cause ?? "other") as DecryptFailureCause;
      await this.countUndecryptable(cause, advanced);
      if (needsResync(cause, err.details, event.kind)) await this.recoverLocked(advanced, cause);
      return undefined;
    }
  }

  /**
   * Rejoins the group by external commit after an entry showed this device's state is lost or
   * forked, counts the recovery and logs one line (cause and conversation id, never content). A
   * failure (e.g. no GroupInfo stored, the server unreachable) is logged and left for the next
   * entry to retry.
   */
  private async recoverLocked(advanced: ConversationRecord, cause: string): Promise<void> {
    try {
      const applied = await this.conversations.commits.recoverLocked(advanced);
      if (applied.departed.length > 0) this.conversations.departures.schedule(advanced.id);
    } catch (err) {
      this.diagnostics.emit({
        kind: "resync-failed",
        conversationId: advanced.id,
        cause,
        error: errorCode(err),
      });
      return;
    }
    const count = (await this.recoveries()) + 1;
    await this.ctx.stores.recoveries.put(this.ctx.stores.batch(), count).commit();
    this.diagnostics.emit({ kind: "resynced", conversationId: advanced.id, cause });
  }

  private async countUndecryptable(cause: string, advanced?: ConversationRecord): Promise<void> {
    const counts = await this.undecryptable();
    counts[cause] = (counts[cause] ?? 0) + 1;
    this.diagnostics.emit({
      kind: "undecryptable",
      cause,
      ...(advanced ? { conversationId: advanced.id } : {}),
    });
    const { stores } = this.ctx;
    const batch = stores.undecryptable.put(stores.batch(), counts);
    if (advanced) stores.conversations.save(batch, advanced);
    await batch.commit();
  }
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new VollyError("VOLLY_E_DECRYPT_FAILED", "The content is not JSON.", { cause: "malformed" });
  }
}

function errorCode(err: unknown): string {
  return err instanceof VollyError ? err.code : err instanceof Error ? err.name : "unknown";
}
