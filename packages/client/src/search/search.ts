import { VollyError } from "@volly/protocol";
import { typedHandle } from "../account/server-name.js";
import type { MessageRecord } from "../messaging/message-records.js";
import type { DiagnosticsService } from "../shared/diagnostics.js";
import type { StagedMessageChange } from "../storage/message-stores.js";
import type { Stores } from "../storage/stores.js";
import type { VaultBatch } from "../storage/vault.js";
import type { Search, SearchHit, SearchOptions } from "./search-api.js";
import { highlightSpans, searchDocument } from "./search-documents.js";
import { SearchIndex } from "./search-index.js";
import { hasFilter, matchFilter, validateQueryText, validateSearch } from "./search-query.js";
import { SearchSnapshots } from "./search-snapshot.js";
import { parseSearchQuery } from "./search-syntax.js";

/** Messages unsealed per page while the index is built from the store. */
const BUILD_PAGE = 500;
const DEFAULT_LIMIT = 50;
/** Matches asked of the index beyond the limit, for those whose message is gone since it was indexed. */
const STALE_MARGIN = 8;
/**
 * The snapshot is saved again at close only when the journal holds more than this many writes (or
 * this share of the index): saving means serializing and sealing the whole index (seconds at
 * 100,000 messages), re-reading a short journal at the next load costs milliseconds.
 */
const RESAVE_MIN_WRITES = 1000;
const RESAVE_SHARE = 0.05;

/**
 * The search service behind `client.search`. The index is built on the first search — from the
 * saved snapshot plus its journal, or from every stored message — and follows every message write
 * staged through `MessageStore` from then on (whoever wrote it: incoming, outbox, actions, history
 * hand-over, delete for me). Writes committed during the build are remembered by id and re-read
 * once it is done; those before it are read by the build itself. {@link dispose} saves the
 * snapshot when there was none or its journal grew long.
 */
export class SearchService implements Search {
  private index: SearchIndex | undefined;
  private building: Promise<SearchIndex> | undefined;
  /** Ids written while the index was being built (re-read when it is). */
  private readonly pending = new Set<string>();
  /**
   * Writes applied since the saved snapshot (each is in its journal); Infinity when the index was
   * built without one.
   */
  private sinceSnapshot = 0;
  private readonly snapshots: SearchSnapshots;
  private readonly unwatch: () => void;
  private readonly probed: Promise<void>;

  /**
   * @param stores the open profile's stores
   * @param diagnostics where background failures go
   * @param ownServers this client's server name(s) now (`ownServerNames` of the profile): a
   *   handle typed as `user@<one of them>` names this server's `user`
   */
  constructor(
    private readonly stores: Stores,
    private readonly diagnostics: DiagnosticsService,
    private readonly ownServers: () => readonly string[] = () => [],
  ) {
    this.snapshots = new SearchSnapshots(stores);
    this.unwatch = stores.messages.watch((batch, change) => this.staged(batch, change));
    this.probed = this.snapshots.probe().catch(diagnostics.catcher("search.probe"));
  }

  async messages(query: string, options: SearchOptions = {}): Promise<SearchHit[]> {
    validateQueryText(query);
    const parsed = parseSearchQuery(query);
    // Options given explicitly win over the operators typed in the query.
    const merged: SearchOptions = { ...parsed.filters, ...definedOnly(options) };
    const { from } = validateSearch(parsed.words, merged, this.ownServers());
    const conversationId = await this.conversationOf(merged.conversationId);
    const index = await this.ready();
    const filters = { ...merged, conversationId };
    const keep = hasFilter(filters) ? matchFilter(filters, from) : undefined;
    const limit = merged.limit ?? DEFAULT_LIMIT;
    // A few more than asked: a match whose message is gone since it was indexed is skipped below.
    const matches = index.query(parsed.words, keep, merged.sort ?? "newest", limit + STALE_MARGIN);
    const hits: SearchHit[] = [];
    for (const match of matches) {
      if (hits.length >= limit) break;
      const message = await this.stores.messages.get(match.id);
      // Gone or changed since it was indexed (the write's callback is on its way): not a hit.
      if (message?.body.type !== "text") continue;
      hits.push({ message, score: match.score, highlights: highlightSpans(message.body.text, match.terms) });
    }
    return hits;
  }

  /**
   * The conversation id an `in:` filter names: an `@handle` (or `@user@server`) is its direct
   * conversation here.
   *
   * @throws VollyError VOLLY_E_UNKNOWN_CONVERSATION when there is no direct conversation with it,
   *   VOLLY_E_USAGE when it is not a handle
   */
  private async conversationOf(target: string | undefined): Promise<string | undefined> {
    if (target === undefined || !target.startsWith("@")) return target;
    let handle: string;
    try {
      handle = typedHandle(target, this.ownServers());
    } catch {
      throw new VollyError(
        "VOLLY_E_USAGE",
        `Search option in is a conversation id or @handle, not "${target}".`,
      );
    }
    const id = await this.stores.directConversations.get(handle);
    if (id === undefined) {
      throw new VollyError("VOLLY_E_UNKNOWN_CONVERSATION", `No conversation with ${target} on this device.`);
    }
    return id;
  }

  /**
   * The index, built or loaded on first use (concurrent callers share one build).
   * Internal; the benchmark reads it through `@volly/client/testing`.
   */
  ready(): Promise<SearchIndex> {
    if (this.index) return Promise.resolve(this.index);
    this.building ??= this.build().finally(() => {
      this.building = undefined;
    });
    return this.building;
  }

  /**
   * Stops following writes and, when the index was built without a snapshot or its journal grew
   * long (`RESAVE_MIN_WRITES`), saves it sealed with an empty journal. Called by `VollyClient.close` before the store closes; failures go to
   * diagnostics ("search.save").
   */
  async dispose(): Promise<void> {
    this.unwatch();
    await this.probed;
    const index = (await this.building?.catch(() => undefined)) ?? this.index;
    if (!index || this.sinceSnapshot <= Math.max(RESAVE_MIN_WRITES, index.size * RESAVE_SHARE)) return;
    await this.snapshots.save(index).catch(this.diagnostics.catcher("search.save"));
  }

  /** Saves the snapshot now (as {@link dispose} does, but keeps following writes). Internal: for the benchmark. */
  async save(): Promise<void> {
    const index = await this.ready();
    await this.snapshots.save(index);
    this.sinceSnapshot = 0;
  }

  private staged(batch: VaultBatch, change: StagedMessageChange): void {
    const id = change.kind === "put" ? change.message.id : change.id;
    this.snapshots.journal(batch, id);
    batch.onCommit(() => {
      if (this.index) this.apply(this.index, id, change.kind === "put" ? change.message : undefined);
      // Before a build, the build reads it anyway (the scan, or the snapshot's journal).
      else if (this.building) this.pending.add(id);
    });
  }

  private apply(index: SearchIndex, id: string, message: MessageRecord | undefined): void {
    const doc = message && searchDocument(message);
    if (doc) index.upsert(doc);
    else index.remove(id);
    this.sinceSnapshot += 1;
  }

  private async build(): Promise<SearchIndex> {
    await this.probed;
    const loaded = await this.snapshots.load().catch(() => undefined);
    let index: SearchIndex;
    if (loaded) {
      index = loaded.index;
      for (const id of loaded.stale) this.pending.add(id);
    } else {
      index = SearchIndex.empty();
      await this.indexEveryMessage(index);
      this.sinceSnapshot = Number.POSITIVE_INFINITY;
    }
    // Writes committed meanwhile: read them as they are now, then follow writes directly.
    while (this.pending.size > 0) {
      const ids = [...this.pending];
      this.pending.clear();
      for (const id of ids) this.apply(index, id, await this.stores.messages.get(id));
    }
    this.index = index;
    return index;
  }

  private async indexEveryMessage(index: SearchIndex): Promise<void> {
    let after: string | undefined;
    for (;;) {
      const page = await this.stores.messages.scan(after, BUILD_PAGE);
      for (const { value } of page) {
        const doc = isMessageRecord(value) ? searchDocument(value) : undefined;
        if (doc) index.upsert(doc);
      }
      if (page.length < BUILD_PAGE) return;
      after = page[page.length - 1]?.row.id;
    }
  }
}

/** `options` without the fields set to undefined (so they do not erase a typed operator). */
function definedOnly(options: SearchOptions): SearchOptions {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as SearchOptions;
}

/** Whether a scanned value looks like a current MessageRecord (a row that did not unseal is undefined). */
function isMessageRecord(value: unknown): value is MessageRecord {
  return typeof value === "object" && value !== null && "body" in value && "conversationId" in value;
}
