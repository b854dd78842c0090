import {
  decodeGroup,
  groupEpoch,
  groupFromRecords,
  groupStateRecords,
  isGroupConsumed,
  type MlsGroup,
} from "@volly/crypto";
import { fromBase64Url, VollyError } from "@volly/protocol";
import { ListenerSet } from "../shared/listeners.js";
import { KeyedRecords } from "./keyed-records.js";
import { RECORD_PREFIXES } from "./store-keys.js";
import type { Vault, VaultBatch } from "./vault.js";

/** A conversation's group state was stored at a new epoch (RFC 9420 §8): a commit was applied. */
export interface GroupEpochChange {
  conversationId: string;
  /** The epoch now stored. */
  epoch: number;
}

/** How many conversations' decoded group states are kept in memory, by default. */
export const GROUP_CACHE_SIZE = 8;

/**
 * Each conversation's MLS group state (RFC 9420 §8), stored incrementally: a head, one record per
 * epoch with keys and the secret tree in chunks (`groupStateRecords` of @volly/crypto), under
 * `mls:<conversation id>/`. Storing the state after an application message rewrites only the
 * chunk holding the ratchet it advanced — a few KiB whatever the size of the group — in the same
 * batch as the message. States stored before (one record under `group:<conversation id>`, base64url
 * of `encodeGroup`) are still read, and replaced by the new records on the next write.
 *
 * The store keeps the decoded state of the last {@link GROUP_CACHE_SIZE} conversations it loaded or
 * stored, so a message neither re-reads nor re-decodes the state, and knows what is stored so that
 * only the difference is written. Loading, processing and storing one conversation's state must
 * run in its queue (`KeyedQueue`), as every caller does: the difference is computed when the write
 * is staged, against the state stored when it is staged.
 */
export class GroupStateStore {
  private readonly legacy: KeyedRecords<string>;
  /** conversation id → the handle whose state is what is stored (maybe consumed), LRU order. */
  private readonly stored = new Map<string, MlsGroup>();
  /** Bumped by every committed write: a load that saw an older value must not fill the cache. */
  private writes = 0;
  /** conversation id → the epoch of the state last loaded or stored (to tell epoch changes). */
  private readonly epochs = new Map<string, number>();
  /**
   * Fires once a write that moves a conversation's stored state to another epoch is committed
   * (only for conversations whose state this store loaded or stored before, as every commit's
   * processing does: load, process, store).
   */
  readonly epochChanges = new ListenerSet<GroupEpochChange>();

  /**
   * @param vault the profile's vault
   * @param cacheSize how many conversations' decoded states to keep in memory (≥ 0)
   */
  constructor(
    private readonly vault: Vault,
    private readonly cacheSize = GROUP_CACHE_SIZE,
  ) {
    this.legacy = new KeyedRecords<string>(vault, RECORD_PREFIXES.groupState);
  }

  /**
   * Loads a conversation's group state: the cached handle when it was not consumed, else from the
   * store. Throws VOLLY_E_UNKNOWN_CONVERSATION when there is none, VOLLY_E_DECRYPT_FAILED when it
   * does not unseal or decode.
   */
  async load(conversationId: string): Promise<MlsGroup> {
    const cached = this.stored.get(conversationId);
    if (cached !== undefined && !isGroupConsumed(cached)) {
      this.remember(conversationId, cached);
      return cached;
    }
    const seen = this.writes;
    const group = await this.read(conversationId);
    if (group.split && this.writes === seen) this.remember(conversationId, group.group);
    if (this.writes === seen) this.epochs.set(conversationId, groupEpoch(group.group));
    return group.group;
  }

  /**
   * Stages storing a group state: only the records that differ from the stored state when this
   * store knows it (the state was loaded or stored through it and is still cached), else all of
   * them. Returns the batch. Once the batch is committed the store keeps `group` as the
   * conversation's state: later loads return this very handle until something consumes it.
   *
   * @throws Error on a handle consumed by encryptApplication / processMessage
   */
  put(batch: VaultBatch, conversationId: string, group: MlsGroup): VaultBatch {
    const prefix = recordPrefix(conversationId);
    const records = groupStateRecords(group, this.stored.get(conversationId));
    if (records.replaceAll) {
      batch.deletePrefix(prefix);
      this.legacy.delete(batch, conversationId);
    }
    for (const epoch of records.dropped) {
      batch.delete(`${prefix}e/${epoch}`);
      batch.deletePrefix(`${prefix}c/${epoch}/`);
    }
    for (const { epoch, record } of records.epochs) {
      if (!records.replaceAll) batch.deletePrefix(`${prefix}c/${epoch}/`);
      batch.putBytes(`${prefix}e/${epoch}`, record);
    }
    for (const { epoch, index, record } of records.chunks)
      batch.putBytes(`${prefix}c/${epoch}/${index}`, record);
    if (records.head) batch.putBytes(`${prefix}h`, records.head);
    const epoch = groupEpoch(group);
    return batch.onCommit(() => {
      this.writes++;
      this.remember(conversationId, group);
      const before = this.epochs.get(conversationId);
      this.epochs.set(conversationId, epoch);
      if (before !== undefined && before !== epoch) this.epochChanges.emit({ conversationId, epoch });
    });
  }

  /**
   * Stages storing an encoded group state (base64url of `encodeGroup`, e.g. a pending commit's);
   * bytes that do not decode are stored as they are (and fail to load). Returns the batch.
   */
  putEncoded(batch: VaultBatch, conversationId: string, encoded: string): VaultBatch {
    let group: MlsGroup;
    try {
      group = decodeGroup(fromBase64Url(encoded));
    } catch {
      batch.deletePrefix(recordPrefix(conversationId));
      this.legacy.put(batch, conversationId, encoded);
      return batch.onCommit(() => this.forget(conversationId));
    }
    return this.put(batch, conversationId, group);
  }

  /**
   * Stages deleting a conversation's group state; returns the batch. The records go before the
   * batch's puts are applied, so the same batch must not also store this conversation's state.
   */
  delete(batch: VaultBatch, conversationId: string): VaultBatch {
    batch.deletePrefix(recordPrefix(conversationId));
    this.legacy.delete(batch, conversationId);
    return batch.onCommit(() => this.forget(conversationId));
  }

  private forget(conversationId: string): void {
    this.writes++;
    this.stored.delete(conversationId);
    this.epochs.delete(conversationId);
  }

  private async read(conversationId: string): Promise<{ group: MlsGroup; split: boolean }> {
    const prefix = recordPrefix(conversationId);
    const rows = await this.vault.listBytes(prefix);
    if (rows.length === 0) {
      const old = await this.legacy.get(conversationId);
      if (!old) throw new VollyError("VOLLY_E_UNKNOWN_CONVERSATION", `No group state for ${conversationId}.`);
      return { group: decodeGroup(fromBase64Url(old)), split: false };
    }
    let head: Uint8Array | undefined;
    const epochs = new Map<number, Uint8Array>();
    const chunks = new Map<number, Map<number, Uint8Array>>();
    for (const [key, value] of rows) {
      const [kind, epoch, index] = key.slice(prefix.length).split("/");
      if (kind === "h") head = value;
      else if (kind === "e") epochs.set(Number(epoch), value);
      else if (kind === "c") {
        const ofEpoch = chunks.get(Number(epoch)) ?? new Map<number, Uint8Array>();
        ofEpoch.set(Number(index), value);
        chunks.set(Number(epoch), ofEpoch);
      }
    }
    if (head === undefined) {
      throw new VollyError("VOLLY_E_DECRYPT_FAILED", "The stored group state has no head record.", {
        cause: "malformed",
      });
    }
    return { group: groupFromRecords(head, epochs, chunks), split: true };
  }

  private remember(conversationId: string, group: MlsGroup): void {
    this.stored.delete(conversationId);
    if (this.cacheSize <= 0) return;
    this.stored.set(conversationId, group);
    for (const oldest of this.stored.keys()) {
      if (this.stored.size <= this.cacheSize) break;
      this.stored.delete(oldest);
    }
  }
}

/** The key prefix of a conversation's records; ids never contain "/" (22 base64url characters). */
function recordPrefix(conversationId: string): string {
  if (conversationId.includes("/")) throw new TypeError("A conversation id cannot contain '/'.");
  return `${RECORD_PREFIXES.groupRecords}${conversationId}/`;
}
