import type { Vault, VaultBatch } from "./vault.js";

/**
 * Sealed records of one kind, one per id, under one key prefix (see `store-keys.ts`): the typed
 * building block of the record stores. Writes are staged in a {@link VaultBatch} so a caller can
 * land several of them (and a new group state, a message…) atomically.
 */
export class KeyedRecords<V> {
  /**
   * @param vault the profile's vault
   * @param prefix the kind's key prefix (a value of RECORD_PREFIXES)
   */
  constructor(
    protected readonly vault: Vault,
    private readonly prefix: string,
  ) {}

  /** The record stored for `id`, or undefined. Throws VOLLY_E_DECRYPT_FAILED if it was tampered with. */
  get(id: string): Promise<V | undefined> {
    return this.vault.getJson<V>(this.prefix + id);
  }

  /** Whether a record exists for `id` (without unsealing it). */
  async has(id: string): Promise<boolean> {
    return (await this.vault.store.get(this.prefix + id)) !== undefined;
  }

  /** Every record of the kind as `[id, record]`, in id order (string order). */
  async list(): Promise<Array<[string, V]>> {
    const rows = await this.vault.listJson<V>(this.prefix);
    return rows.map(([key, value]) => [key.slice(this.prefix.length), value]);
  }

  /** The ids that have a record, in string order (without unsealing them). */
  async ids(): Promise<string[]> {
    const rows = await this.vault.store.list(this.prefix);
    return rows.map(([key]) => key.slice(this.prefix.length));
  }

  /** How many records of the kind exist. */
  async count(): Promise<number> {
    return (await this.vault.store.list(this.prefix)).length;
  }

  /** Stages writing `value` for `id` in `batch`; returns the batch. */
  put(batch: VaultBatch, id: string, value: V): VaultBatch {
    return batch.putJson(this.prefix + id, value);
  }

  /** Stages deleting the record of `id` in `batch`; returns the batch. */
  delete(batch: VaultBatch, id: string): VaultBatch {
    return batch.delete(this.prefix + id);
  }

  /** Stages deleting every record of the kind in `batch`; returns the batch. */
  clear(batch: VaultBatch): VaultBatch {
    return batch.deletePrefix(this.prefix);
  }
}

/** One sealed record kept once per profile, under one key (a value of RECORD_KEYS). */
export class SingleRecord<V> {
  /**
   * @param vault the profile's vault
   * @param key the record's key
   */
  constructor(
    private readonly vault: Vault,
    private readonly key: string,
  ) {}

  /** The record, or undefined when it was never written. */
  get(): Promise<V | undefined> {
    return this.vault.getJson<V>(this.key);
  }

  /** Stages writing the record in `batch`; returns the batch. */
  put(batch: VaultBatch, value: V): VaultBatch {
    return batch.putJson(this.key, value);
  }

  /** Stages deleting the record in `batch`; returns the batch. */
  delete(batch: VaultBatch): VaultBatch {
    return batch.delete(this.key);
  }
}
