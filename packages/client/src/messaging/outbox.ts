import { encryptApplication, groupEpoch, isRemovedFromGroup } from "@volly/crypto";
import {
  type ApplicationContent,
  type MessageDeclaration,
  retryClass,
  type SendMessageBody,
  type SendMessageResponse,
  toBase64Url,
  utf8,
  VollyError,
} from "@volly/protocol";
import type { ConversationRecord } from "../conversations/conversation-records.js";
import type { ClientContext } from "../shared/client-context.js";
import type { KeyedQueue } from "../shared/keyed-queue.js";
import { ListenerSet } from "../shared/listeners.js";
import { RetryBackoff } from "../shared/timers.js";
import type { VaultBatch } from "../storage/vault.js";
import type { MessageRecord, OutboxRecord } from "./message-records.js";

/** More of what {@link Outbox.add} stores with a message. */
export interface OutboxExtras {
  /** The blobs the message points at (SendMessageBody `blobIds`; declare "attachment"). */
  blobIds?: string[];
  /** Stages more writes in the batch that stores the entry (they land with it, or not at all). */
  stage?: (batch: VaultBatch) => void;
}

/** Retry delays after a failed flush (ms): doubles from `min` up to `max`. */
const RETRY = { min: 1_000, max: 30_000 } as const;
const STATUS_RANK: Record<MessageRecord["status"], number> = {
  pending: 0,
  received: 0,
  sent: 1,
  delivered: 2,
  read: 3,
};

/** The higher of two statuses of an outgoing message (a status never goes back). */
export function maxStatus(a: MessageRecord["status"], b: MessageRecord["status"]): MessageRecord["status"] {
  return STATUS_RANK[b] > STATUS_RANK[a] ? b : a;
}

/** What the outbox needs from the rest of the SDK. */
export interface OutboxHooks {
  /** The server says this device is no longer in the group: mark the conversation left. */
  notMember(conversationId: string): Promise<void>;
  /**
   * Sends over the live gateway connection (op SEND), or returns undefined when it cannot (not
   * connected, too large): the outbox then uses REST. Rejects like the REST call would, or with
   * VOLLY_E_SERVER_UNREACHABLE when the connection dropped before the answer.
   */
  sendOverGateway?(groupId: string, body: SendMessageBody): Promise<SendMessageResponse> | undefined;
  /**
   * A message to queue first, before a message the user sees (one added with its record) in `conv`:
   * this account's profile when the conversation's members have not had it yet. Runs in the
   * conversation's queue; undefined for none.
   */
  preamble?(conv: ConversationRecord): Promise<OutboxPreamble | undefined>;
}

/** A message {@link OutboxHooks.preamble} puts before another. */
export interface OutboxPreamble {
  content: ApplicationContent;
  declares?: MessageDeclaration[];
  extras?: OutboxExtras;
}

/**
 * The outbox: every application message (text, receipt, group-meta) is encrypted in its
 * conversation's queue, and the new group state, the ciphertext and the message record are saved in
 * one batch before anything goes out — a crash never reuses a ratchet key, and a retry resends the
 * same ciphertext under the same message id (the delivery service deduplicates). Entries go out
 * oldest first, one flush at a time, so they arrive in order and exactly once.
 */
export class Outbox {
  /** Fires for each message record the server accepted (status at least "sent"). */
  readonly sent = new ListenerSet<MessageRecord>();
  /**
   * Fires for each entry once it is stored (encrypted, before the server has it): direct paths
   * (`p2p/`) carry the same ciphertext to connected member devices at once.
   */
  readonly queued = new ListenerSet<OutboxRecord>();
  private flushing: Promise<void> = Promise.resolve();
  private readonly refusals = new Map<string, VollyError>();
  private lastKey: number | undefined;
  private lastKeyLoaded: Promise<number> | undefined;
  private readonly retry = new RetryBackoff(RETRY.min, RETRY.max);

  constructor(
    private readonly ctx: ClientContext,
    private readonly queue: KeyedQueue,
    private readonly hooks: OutboxHooks,
  ) {}

  /**
   * Encrypts `content` for a conversation (RFC 9420 §6.3.1) in its queue and stores it for sending,
   * with `message` (the record the user sees) when given, and what it `declares` to the server
   * (SendMessageBody `declares`, e.g. "mention-everyone") and `extras` (blob ids, more writes).
   * Does not send. Throws VOLLY_E_UNKNOWN_CONVERSATION, VOLLY_E_NOT_GROUP_MEMBER (left or removed).
   */
  add(
    conversationId: string,
    content: ApplicationContent,
    message?: MessageRecord,
    declares?: MessageDeclaration[],
    extras?: OutboxExtras,
  ): Promise<void> {
    return this.queue.run(conversationId, () =>
      this.addLocked(conversationId, content, message, declares, extras),
    );
  }

  /** {@link add} for a caller already running in the conversation's queue. */
  async addLocked(
    conversationId: string,
    content: ApplicationContent,
    message?: MessageRecord,
    declares?: MessageDeclaration[],
    extras: OutboxExtras = {},
  ): Promise<void> {
    const { stores } = this.ctx;
    const conv = await stores.conversations.get(conversationId);
    if (!conv) throw new VollyError("VOLLY_E_UNKNOWN_CONVERSATION", `No conversation ${conversationId}.`);
    if (conv.left)
      throw new VollyError("VOLLY_E_NOT_GROUP_MEMBER", "You are no longer in this conversation.");
    let group = await stores.groupStates.load(conversationId);
    if (isRemovedFromGroup(group)) throw new VollyError("VOLLY_E_NOT_GROUP_MEMBER");
    const before = message ? await this.hooks.preamble?.(conv) : undefined;
    if (before) {
      // queued first (without a record, so without a preamble of its own): it goes out before this
      await this.addLocked(conversationId, before.content, undefined, before.declares, before.extras);
      group = await stores.groupStates.load(conversationId);
    }
    const epoch = groupEpoch(group);
    const { newGroup, ciphertext } = await encryptApplication(
      this.ctx.suite,
      group,
      utf8(JSON.stringify(content)),
    );
    const entry: OutboxRecord = {
      messageId: content.id,
      conversationId,
      epoch,
      ciphertext: toBase64Url(ciphertext),
      queuedAt: Date.now(),
      ...(declares?.length ? { declares } : {}),
      ...(extras.blobIds?.length ? { blobIds: extras.blobIds } : {}),
    };
    const key = await this.nextKey(content.sentAt);
    const batch = stores.outbox.add(
      stores.groupStates.put(stores.batch(), conversationId, newGroup),
      key,
      entry,
    );
    if (message) stores.messages.put(batch, message);
    extras.stage?.(batch);
    await batch.commit();
    if (!conv.self) this.queued.emit(entry);
  }

  /**
   * Sends every queued entry, oldest first. Stops at the first failure that may be temporary
   * (`retryClass` "later" or "reauth": the server unreachable, rate limits, server errors) and
   * retries later with backoff; entries the server can never accept ("never": not a member any
   * more, a conflicting id, a refused request) are dropped. Never throws.
   */
  flush(): Promise<void> {
    // A previous flush's failure went to its own caller: it must not stop this one.
    this.flushing = this.flushing.catch(() => undefined).then(() => this.flushOnce());
    return this.flushing;
  }

  /**
   * Why the server refused an outgoing message for good during this run (the entry was dropped),
   * or undefined.
   */
  refusal(messageId: string): VollyError | undefined {
    return this.refusals.get(messageId);
  }

  /** Whether the content with this message id still waits in the outbox. */
  async isQueued(messageId: string): Promise<boolean> {
    return (await this.ctx.stores.outbox.entries()).some((e) => e.record.messageId === messageId);
  }

  /** Entries waiting to be sent. */
  async pendingCount(): Promise<number> {
    return this.ctx.stores.outbox.count();
  }

  /** Stops the retry timer. */
  dispose(): void {
    this.retry.dispose();
  }

  private async nextKey(hint: number): Promise<number> {
    this.lastKeyLoaded ??= this.ctx.stores.outbox.lastSequence();
    const loaded = await this.lastKeyLoaded;
    this.lastKey = Math.max(hint, Date.now(), (this.lastKey ?? loaded) + 1);
    return this.lastKey;
  }

  private async flushOnce(): Promise<void> {
    const dropped = new Set<string>();
    const { stores } = this.ctx;
    for (const { id: key, record: entry } of await stores.outbox.entries()) {
      if (dropped.has(entry.conversationId)) {
        await stores.outbox.remove(stores.batch(), key).commit();
        continue;
      }
      let seq: number;
      try {
        seq = await this.post(entry);
      } catch (err) {
        // Anything but a VollyError the registry says can never succeed is kept and retried: an
        // entry is dropped only when the server can never accept it.
        if (!(err instanceof VollyError) || retryClass(err) !== "never") {
          this.scheduleRetry();
          return;
        }
        // Refused for good (e.g. VOLLY_E_FORBIDDEN: timed out, no SEND_MESSAGES): the message was
        // never stored by the server: the refusal is kept for the caller (`Messaging.send`, the CLI).
        this.refusals.set(entry.messageId, err);
        const refusedBatch = stores.outbox.remove(stores.batch(), key);
        // A message with files shows that it failed (its upload state), so a UI can offer to cancel it.
        const refused = await stores.messages.get(entry.messageId);
        if (refused?.upload) {
          const upload = {
            ...refused.upload,
            state: "failed" as const,
            error: { code: err.code, message: err.message },
          };
          stores.messages.put(refusedBatch, { ...refused, upload });
        }
        await refusedBatch.commit();
        if (err.code === "VOLLY_E_NOT_GROUP_MEMBER" || err.code === "VOLLY_E_UNKNOWN_GROUP") {
          dropped.add(entry.conversationId);
          await this.hooks
            .notMember(entry.conversationId)
            .catch(this.ctx.diagnostics.catcher("outbox.not-member"));
        }
        continue;
      }
      const sent = await this.queue.run(entry.conversationId, async () => {
        const message = await stores.messages.get(entry.messageId);
        const batch = stores.outbox.remove(stores.batch(), key);
        let updated: MessageRecord | undefined;
        if (message) {
          // Stored by the server: the upload state of a message with files is over.
          const { upload: _done, ...rest } = message;
          updated = { ...rest, status: maxStatus(message.status, "sent"), seq };
          stores.messages.put(batch, updated);
        }
        await batch.commit();
        return updated;
      });
      if (sent) this.sent.emit(sent);
    }
    this.retry.reset();
  }

  /**
   * Sends one entry: over the gateway when it is connected (no HTTP request, no session lookup),
   * else — or when the connection drops before the answer — over REST. The same message id makes a
   * second attempt a no-op on the server.
   */
  private async post(entry: OutboxRecord): Promise<number> {
    const body: SendMessageBody = {
      messageId: entry.messageId,
      epoch: entry.epoch,
      ciphertext: entry.ciphertext,
      ...(entry.declares?.length ? { declares: entry.declares } : {}),
      ...(entry.blobIds?.length ? { blobIds: entry.blobIds } : {}),
    };
    const overGateway = this.hooks.sendOverGateway?.(entry.conversationId, body);
    if (overGateway) {
      try {
        return (await overGateway).seq;
      } catch (err) {
        if (!(err instanceof VollyError) || err.code !== "VOLLY_E_SERVER_UNREACHABLE") throw err;
      }
    }
    const res = await this.ctx.api.call("sendMessage", { params: { groupId: entry.conversationId }, body });
    return res.seq;
  }

  private scheduleRetry(): void {
    this.retry.schedule(() => void this.flush().catch(this.ctx.diagnostics.catcher("outbox.flush")));
  }
}
