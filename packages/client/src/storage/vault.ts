import { seal, unseal } from "@volly/crypto";
import { utf8 } from "@volly/protocol";
import type { ClientStore, MessagePosition, StoredMessageRow } from "./client-store.js";
import { messageSealKey } from "./store-keys.js";

/**
 * Seals every value of a {@link ClientStore} under the profile's data key (XChaCha20-Poly1305, the
 * key name bound as associated data so sealed values cannot be swapped between keys). Generic over
 * keys: the SDK reads and writes records through the typed record stores (`stores.ts`) on top of it.
 */
export class Vault {
  /**
   * @param store the raw local store
   * @param dataKey 32-byte data key unwrapped from the PIN keystore
   */
  constructor(
    readonly store: ClientStore,
    private readonly dataKey: Uint8Array,
  ) {}

  /** Reads and unseals a JSON value. Throws VOLLY_E_DECRYPT_FAILED if the value was tampered with. */
  async getJson<T>(key: string): Promise<T | undefined> {
    const raw = await this.store.get(key);
    return raw
      ? (JSON.parse(new TextDecoder().decode(unseal(this.dataKey, raw, utf8(key)))) as T)
      : undefined;
  }

  /** Reads and unseals every JSON value under a key prefix, in key order. */
  async listJson<T>(prefix: string): Promise<Array<[string, T]>> {
    const rows = await this.store.list(prefix);
    return rows.map(([k, v]) => [
      k,
      JSON.parse(new TextDecoder().decode(unseal(this.dataKey, v, utf8(k)))) as T,
    ]);
  }

  /**
   * Reads and unseals every binary value under a key prefix ({@link VaultBatch.putBytes}), in key
   * order, in one read of the store (a consistent snapshot). Throws VOLLY_E_DECRYPT_FAILED if a
   * value was tampered with.
   */
  async listBytes(prefix: string): Promise<Array<[string, Uint8Array]>> {
    const rows = await this.store.list(prefix);
    return rows.map(([k, v]) => [k, unseal(this.dataKey, v, utf8(k))]);
  }

  /** Reads and unseals a stored message. */
  async getMessage<T>(id: string): Promise<T | undefined> {
    const row = await this.store.getMessage(id);
    return row ? this.openMessage<T>(row) : undefined;
  }

  /** The newest `limit` messages of a conversation (before `before` if given), oldest first. */
  async listMessages<T>(conversationId: string, limit = 100, before?: MessagePosition): Promise<T[]> {
    const rows = await this.store.listMessages(conversationId, limit, before);
    return rows.map((r) => this.openMessage<T>(r));
  }

  /**
   * Unseals one raw message row (e.g. from `ClientStore.scanMessages`). Throws
   * VOLLY_E_DECRYPT_FAILED if the row was tampered with or sealed under another key.
   */
  openMessageRow<T>(row: StoredMessageRow): T {
    return this.openMessage<T>(row);
  }

  /** Starts an atomic batch of sealed writes; nothing is written until `commit()`. */
  batch(): VaultBatch {
    return new VaultBatch(this.store, this.dataKey);
  }

  private openMessage<T>(row: StoredMessageRow): T {
    return JSON.parse(
      new TextDecoder().decode(unseal(this.dataKey, row.data, utf8(messageSealKey(row.id)))),
    ) as T;
  }
}

/** Collects sealed writes and applies them atomically with `commit()`. */
export class VaultBatch {
  private readonly puts: Array<{ key: string; value: Uint8Array }> = [];
  private readonly deletes: string[] = [];
  private readonly messages: StoredMessageRow[] = [];
  private readonly deletedMessages: string[] = [];
  private readonly deletePrefixes: string[] = [];
  private readonly committed: Array<() => void> = [];

  constructor(
    private readonly store: ClientStore,
    private readonly dataKey: Uint8Array,
  ) {}

  /** Seals and stages a JSON value. */
  putJson(key: string, value: unknown): this {
    this.puts.push({ key, value: seal(this.dataKey, utf8(JSON.stringify(value)), utf8(key)) });
    return this;
  }

  /** Seals and stages a binary value (read back with {@link Vault.listBytes}). */
  putBytes(key: string, value: Uint8Array): this {
    this.puts.push({ key, value: seal(this.dataKey, value, utf8(key)) });
    return this;
  }

  /** Stages deleting every key that starts with `prefix`; applied before the batch's puts. */
  deletePrefix(prefix: string): this {
    this.deletePrefixes.push(prefix);
    return this;
  }

  /**
   * Runs `fn` once the batch is committed (not when the commit fails), before `commit()` resolves:
   * how in-memory caches follow what is stored.
   */
  onCommit(fn: () => void): this {
    this.committed.push(fn);
    return this;
  }

  /** Stages a delete. */
  delete(key: string): this {
    this.deletes.push(key);
    return this;
  }

  /** Seals and stages a message row. `sortKey` orders it within its conversation (ms). */
  putMessage(id: string, conversationId: string, sortKey: number, value: unknown): this {
    const data = seal(this.dataKey, utf8(JSON.stringify(value)), utf8(messageSealKey(id)));
    this.messages.push({ id, conversationId, sortKey, data });
    return this;
  }

  /** Stages removing a message row (after the batch's message writes). */
  deleteMessage(id: string): this {
    this.deletedMessages.push(id);
    return this;
  }

  /** Applies every staged write in one transaction, then runs the {@link onCommit} callbacks. */
  async commit(): Promise<void> {
    await this.store.commit({
      ...(this.deletePrefixes.length > 0 ? { deletePrefixes: this.deletePrefixes } : {}),
      puts: this.puts,
      deletes: this.deletes,
      messages: this.messages,
      ...(this.deletedMessages.length > 0 ? { deleteMessages: this.deletedMessages } : {}),
    });
    for (const fn of this.committed) fn();
  }
}
