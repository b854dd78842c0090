import type { MessageRecord, OutboxRecord } from "../messaging/message-records.js";
import type { StoredMessageRow } from "./client-store.js";
import { KeyedRecords } from "./keyed-records.js";
import { orderedKey, RECORD_PREFIXES } from "./store-keys.js";
import type { Vault, VaultBatch } from "./vault.js";

/**
 * A message write being staged: the new record, or the id of a removed row. What
 * {@link MessageStore.watch} observers see (e.g. the search index, `search/`).
 */
export type StagedMessageChange =
  | { kind: "put"; message: MessageRecord }
  | { kind: "delete"; id: string; conversationId: string };

/**
 * Observes message writes as they are staged: it may stage writes of its own in the same batch
 * (so they land atomically with the message) and register `batch.onCommit` callbacks.
 */
export type MessageWatcher = (batch: VaultBatch, change: StagedMessageChange) => void;

/** The messages table: message records, sealed, ordered within a conversation by `sentAt`. */
export class MessageStore {
  private readonly watchers = new Set<MessageWatcher>();

  constructor(private readonly vault: Vault) {}

  /**
   * Adds an observer of every message write staged from now on ({@link put}, {@link delete}):
   * derived data such as the search index follows the table through it, whichever service wrote.
   *
   * @returns a function that removes the observer
   */
  watch(watcher: MessageWatcher): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  /** One message by id, or undefined. */
  get(id: string): Promise<MessageRecord | undefined> {
    return this.vault.getMessage<MessageRecord>(id);
  }

  /** Whether a message with this id is stored (without unsealing it). */
  async has(id: string): Promise<boolean> {
    return (await this.vault.store.getMessage(id)) !== undefined;
  }

  /**
   * The newest `limit` messages of a conversation, oldest first; with `before`, the newest of those
   * ordered before that message (by `sentAt`, then id): the page of history above it.
   */
  recent(
    conversationId: string,
    limit: number,
    before?: Pick<MessageRecord, "id" | "sentAt">,
  ): Promise<MessageRecord[]> {
    return this.vault.listMessages<MessageRecord>(
      conversationId,
      limit,
      before && { sortKey: before.sentAt, id: before.id },
    );
  }

  /** Stages a message (its `sentAt` is its sort key); returns the batch. */
  put(batch: VaultBatch, message: MessageRecord): VaultBatch {
    batch.putMessage(message.id, message.conversationId, message.sentAt, message);
    for (const watcher of this.watchers) watcher(batch, { kind: "put", message });
    return batch;
  }

  /** Stages removing a message of `conversationId` (delete for me); returns the batch. */
  delete(batch: VaultBatch, id: string, conversationId: string): VaultBatch {
    batch.deleteMessage(id);
    for (const watcher of this.watchers) watcher(batch, { kind: "delete", id, conversationId });
    return batch;
  }

  /**
   * Stored messages of every conversation in id order, those after `afterId` (from the first
   * when undefined), at most `limit`, unsealed but not typed: for store migrations, which rewrite
   * messages whatever their format. `value` is undefined for a row that does not unseal.
   */
  async scan(afterId: string | undefined, limit: number): Promise<ScannedMessage[]> {
    const rows = await this.vault.store.scanMessages(afterId, limit);
    return rows.map((row) => {
      try {
        return { row, value: this.vault.openMessageRow<unknown>(row) };
      } catch {
        // A row that does not unseal is reported as such: the migration leaves it as it is.
        return { row, value: undefined };
      }
    });
  }

  /** Stages rewriting a scanned row with `value` (same id, conversation and sort key). */
  rewrite(batch: VaultBatch, row: StoredMessageRow, value: unknown): VaultBatch {
    return batch.putMessage(row.id, row.conversationId, row.sortKey, value);
  }
}

/** One message row of {@link MessageStore.scan}, with its unsealed JSON (undefined: does not unseal). */
export interface ScannedMessage {
  row: StoredMessageRow;
  value: unknown;
}

/** One outbox entry with the id it is stored under. */
export interface OutboxEntry {
  /** `<zero-padded sequence>:<message id>`: string order is sending order. */
  id: string;
  record: OutboxRecord;
}

/** The outbox: encrypted messages waiting for the server, in sending order. */
export class OutboxStore {
  private readonly records: KeyedRecords<OutboxRecord>;

  constructor(vault: Vault) {
    this.records = new KeyedRecords<OutboxRecord>(vault, RECORD_PREFIXES.outbox);
  }

  /** Every entry, oldest first. */
  async entries(): Promise<OutboxEntry[]> {
    return (await this.records.list()).map(([id, record]) => ({ id, record }));
  }

  /** How many entries wait. */
  count(): Promise<number> {
    return this.records.count();
  }

  /** The highest sequence number used so far (0 when the outbox is empty). */
  async lastSequence(): Promise<number> {
    const last = (await this.records.ids()).at(-1)?.split(":")[0];
    return last ? Number(last) : 0;
  }

  /** Stages an entry at `sequence` (strictly increasing per profile); returns the batch. */
  add(batch: VaultBatch, sequence: number, record: OutboxRecord): VaultBatch {
    return this.records.put(batch, `${orderedKey(sequence)}:${record.messageId}`, record);
  }

  /** Stages removing the entry stored under `id`; returns the batch. */
  remove(batch: VaultBatch, id: string): VaultBatch {
    return this.records.delete(batch, id);
  }
}

/** Incoming messages not yet shown to the user (their ids), in arrival order. */
export class UnseenStore {
  private readonly records: KeyedRecords<string>;

  constructor(vault: Vault) {
    this.records = new KeyedRecords<string>(vault, RECORD_PREFIXES.unseen);
  }

  /** Every unseen entry as `[entry id, message id]`, oldest arrival first. */
  entries(): Promise<Array<[string, string]>> {
    return this.records.list();
  }

  /** Stages marking a stored incoming message unseen; returns the batch. */
  add(batch: VaultBatch, message: Pick<MessageRecord, "id" | "receivedAt">): VaultBatch {
    return this.records.put(batch, `${orderedKey(message.receivedAt)}:${message.id}`, message.id);
  }

  /** Stages removing an unseen entry (the message was shown); returns the batch. */
  remove(batch: VaultBatch, entryId: string): VaultBatch {
    return this.records.delete(batch, entryId);
  }
}
