import type { AsPlainObject } from "minisearch";
import { RECORD_KEYS, RECORD_PREFIXES } from "../storage/store-keys.js";
import type { Stores } from "../storage/stores.js";
import type { VaultBatch } from "../storage/vault.js";
import { SearchIndex } from "./search-index.js";

/** Bumped whenever what the index holds or how it tokenizes changes: an older snapshot is rebuilt. */
export const SEARCH_SNAPSHOT_VERSION = 1;

/** The search index as saved (sealed, `RECORD_KEYS.searchIndex`). */
export interface SearchSnapshot {
  /** {@link SEARCH_SNAPSHOT_VERSION} when it was saved. */
  version: number;
  /** When it was saved (this device's clock, ms). */
  savedAt: number;
  /** The MiniSearch index. */
  index: AsPlainObject;
}

/** A loaded snapshot and the messages written since it was saved (to re-read). */
export interface LoadedSnapshot {
  index: SearchIndex;
  stale: string[];
}

/**
 * The search index at rest: one sealed snapshot saved when the client closes, plus a journal — a
 * message id written in the same batch as each message write while a snapshot exists — so a run
 * that crashed, or never searched, leaves the snapshot usable: the ids in the journal are re-read
 * when it is loaded. Nothing of the index is ever written unsealed.
 */
export class SearchSnapshots {
  /** Whether a snapshot may be stored (true until {@link probe} said otherwise). */
  private present = true;

  constructor(private readonly stores: Stores) {}

  /** Finds out whether a snapshot is stored (without unsealing it), so writes stop journaling if not. */
  async probe(): Promise<void> {
    // Read raw: presence only, without unsealing megabytes.
    const raw = await this.stores.clientStore.get(RECORD_KEYS.searchIndex);
    if (raw === undefined) this.present = false;
  }

  /** Stages a journal entry for a message write when a snapshot exists (same batch: atomic). */
  journal(batch: VaultBatch, messageId: string): void {
    if (this.present) this.stores.searchJournal.put(batch, messageId, 1);
  }

  /**
   * The stored snapshot and the ids written since, or undefined when there is none (or it is of
   * another version, or does not load).
   */
  async load(): Promise<LoadedSnapshot | undefined> {
    const snapshot = await this.stores.searchIndex.get();
    if (!snapshot || snapshot.version !== SEARCH_SNAPSHOT_VERSION) return undefined;
    let index: SearchIndex;
    try {
      index = SearchIndex.load(snapshot.index);
    } catch {
      // A snapshot that does not load is rebuilt from the messages: it only caches them.
      return undefined;
    }
    return { index, stale: await this.stores.searchJournal.ids() };
  }

  /** Saves `index` as the snapshot and empties the journal, atomically. */
  async save(index: SearchIndex): Promise<void> {
    const batch = this.stores.batch().deletePrefix(RECORD_PREFIXES.searchJournal);
    this.stores.searchIndex.put(batch, {
      version: SEARCH_SNAPSHOT_VERSION,
      savedAt: Date.now(),
      index: index.toJSON(),
    });
    batch.onCommit(() => {
      this.present = true;
    });
    await batch.commit();
  }
}
