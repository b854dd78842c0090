import MiniSearch, { type AsPlainObject, type Options } from "minisearch";
import { normalizeTerm, type SearchDocument, STORED_FIELDS, tokenize } from "./search-documents.js";

/** The stored fields of a document, as the index hands them back with each result. */
export type StoredSearchFields = Omit<SearchDocument, "id" | "text">;

/** One raw match of {@link SearchIndex.query}: id, score, the document's matched words, its stored fields. */
export interface IndexMatch extends StoredSearchFields {
  id: string;
  score: number;
  /** The document's words that matched (normalized). */
  terms: string[];
}

/** The shortest last word of a query that also matches as a prefix. */
const MIN_PREFIX_CHARS = 3;

const OPTIONS: Options<SearchDocument> = {
  idField: "id",
  fields: ["text"],
  storeFields: [...STORED_FIELDS],
  tokenize,
  processTerm: (term) => normalizeTerm(term) || null,
  // The last word as a prefix (search as you type) once it has 3 characters; other words exactly:
  // a short word as a prefix expands to thousands of terms (common queries took seconds at 100,000
  // messages).
  searchOptions: {
    combineWith: "AND",
    prefix: (term, i, terms) => i === terms.length - 1 && term.length >= MIN_PREFIX_CHARS,
    weights: { prefix: 0.5, fuzzy: 0 },
  },
  // Edits and deletions discard documents; vacuum the index's leftovers in the background.
  autoVacuum: { minDirtCount: 200, minDirtFactor: 0.1, batchSize: 1000, batchWait: 10 },
};

/** The order of {@link SearchIndex.query}'s matches. */
export type SearchOrder = "newest" | "relevance";

/** Most query words the newest-first path tracks (one bit each); longer queries score everything. */
const MAX_MASK_TERMS = 30;

/**
 * An in-memory inverted index of messages (MiniSearch: BM25 scores, prefix matching), the one
 * engine of both Node and browsers. It holds plaintext words in memory only; its snapshot
 * ({@link SearchIndex.toJSON}) is saved sealed by `search-snapshot.ts`.
 *
 * Beside the engine it keeps every message's time (`sentAt`, by id), for queries of filters only.
 */
export class SearchIndex {
  /** sentAt of every indexed message, by id. */
  private readonly times = new Map<string, number>();

  private constructor(private readonly engine: MiniSearch<SearchDocument>) {}

  /** An empty index. */
  static empty(): SearchIndex {
    return new SearchIndex(new MiniSearch<SearchDocument>(OPTIONS));
  }

  /** The index a snapshot ({@link toJSON}) describes. Throws when the snapshot is malformed. */
  static load(snapshot: AsPlainObject): SearchIndex {
    const index = new SearchIndex(MiniSearch.loadJS<SearchDocument>(snapshot, OPTIONS));
    for (const [shortId, id] of Object.entries(snapshot.documentIds)) {
      const sentAt = (snapshot.storedFields[shortId] as Partial<StoredSearchFields> | undefined)?.sentAt;
      if (typeof id !== "string" || typeof sentAt !== "number") throw new Error("malformed search snapshot");
      index.times.set(id, sentAt);
    }
    return index;
  }

  /** How many messages are indexed. */
  get size(): number {
    return this.engine.documentCount;
  }

  /** Indexes a message's document, replacing what was indexed for its id. */
  upsert(doc: SearchDocument): void {
    this.remove(doc.id);
    this.engine.add(doc);
    this.times.set(doc.id, doc.sentAt);
  }

  /** Drops a message from the index (nothing when it is not indexed). */
  remove(id: string): void {
    if (!this.times.has(id)) return;
    this.engine.discard(id);
    this.times.delete(id);
  }

  /**
   * The matches of all words of `words` (the last, from 3 characters, also as a prefix) that
   * `keep` accepts, in `order`, at most `limit`. With no words, every message `keep` accepts
   * (score 1), newest first.
   *
   * Newest first, only the hits kept are scored, in two passes over the words' posting lists: the
   * first makes no result at all (MiniSearch's `boostDocument` notes which query words each
   * message holds, and its time, and returns 0), the `limit` newest messages holding every word
   * are picked from that, and the second pass scores only them. A common word matching half of
   * 100,000 messages no longer builds, and sorts, 50,000 results to keep 50. Scores are the same
   * as over the whole index (BM25 counts every message holding the word).
   *
   * @param keep a filter over the stored fields (conversation, sender, time, link, file), or
   *   undefined for none
   */
  query(
    words: string,
    keep: ((fields: StoredSearchFields) => boolean) | undefined,
    order: SearchOrder,
    limit: number,
  ): IndexMatch[] {
    const terms = queryTerms(words);
    if (terms.length === 0) return this.filterOnly(keep, limit);
    if (order === "relevance" || terms.length > MAX_MASK_TERMS) {
      const all = this.search(words, keep && ((_id, stored) => keep(stored)));
      const sorted = order === "relevance" ? all.sort(byRelevance) : all.sort(byNewest);
      return sorted.slice(0, limit);
    }
    const chosen = new Set(this.newestHolding(words, terms, keep, limit));
    return this.search(words, (id) => chosen.has(id)).sort(byNewest);
  }

  /** A plain-object snapshot of the index (JSON-serializable), for {@link SearchIndex.load}. */
  toJSON(): AsPlainObject {
    return this.engine.toJSON();
  }

  /**
   * The ids of the `limit` newest messages holding every query term that `keep` accepts, found
   * without scoring: a pass of the engine whose `boostDocument` only records, per message, a bit
   * for each query term the matched index term satisfies (equal to it, or for the last term from
   * 3 characters, starting with it — the engine's own prefix rule), and returns 0.
   */
  private newestHolding(
    words: string,
    terms: readonly string[],
    keep: ((fields: StoredSearchFields) => boolean) | undefined,
    limit: number,
  ): string[] {
    const last = terms.length - 1;
    const lastIsPrefix = (terms[last] as string).length >= MIN_PREFIX_CHARS;
    const all = 2 ** terms.length - 1;
    const bitsOfTerm = new Map<string, number>();
    const bitsOf = (indexTerm: string): number => {
      let bits = bitsOfTerm.get(indexTerm);
      if (bits === undefined) {
        bits = 0;
        for (let i = 0; i <= last; i++) {
          const t = terms[i] as string;
          if (indexTerm === t || (i === last && lastIsPrefix && indexTerm.startsWith(t))) bits |= 1 << i;
        }
        bitsOfTerm.set(indexTerm, bits);
      }
      return bits;
    };
    const top = new TopNewest(limit);
    if (terms.length === 1) {
      // One word: every message the pass meets holds it (a message met again through another
      // prefix expansion is offered again; TopNewest keeps it once).
      this.engine.search(words, {
        boostDocument: (id, _indexTerm, stored) => {
          const f = stored as unknown as StoredSearchFields;
          if (!keep || keep(f)) top.offer(id, f.sentAt);
          return 0;
        },
      });
      return top.ids();
    }
    /** Bits of the query terms each message the filters keep holds, and its time. */
    const held = new Map<string, { bits: number; at: number }>();
    this.engine.search(words, {
      boostDocument: (id, indexTerm, stored) => {
        const entry = held.get(id);
        const bits = bitsOf(indexTerm);
        if (entry) {
          entry.bits |= bits;
          return 0;
        }
        // The engine walks the query's words in order: once past the first word's postings, a
        // message not met yet cannot hold every word.
        if ((bits & 1) === 0) return 0;
        const f = stored as unknown as StoredSearchFields;
        if (!keep || keep(f)) held.set(id, { bits, at: f.sentAt });
        return 0;
      },
    });
    for (const [id, { bits, at }] of held) if (bits === all) top.offer(id, at);
    return top.ids();
  }

  /** The engine's matches of `words` that `accept` lets through (unordered). */
  private search(
    words: string,
    accept: ((id: string, fields: StoredSearchFields) => boolean) | undefined,
  ): IndexMatch[] {
    const results = this.engine.search(
      words,
      // Filtered while scoring (a falsy boost skips the document) rather than after: no result
      // object is made for what is dropped. No callback at all when nothing is.
      accept
        ? {
            boostDocument: (id, _term, stored) =>
              accept(id, stored as unknown as StoredSearchFields) ? 1 : 0,
          }
        : {},
    );
    return results.map((r) => ({
      id: r.id as string,
      score: r.score,
      terms: r.terms,
      conversationId: r.conversationId as string,
      from: r.from as string,
      sentAt: r.sentAt as number,
      hasLink: r.hasLink as boolean,
      hasFile: r.hasFile as boolean,
    }));
  }

  /** Every message `keep` accepts, newest first, at most `limit` (a query of filters only). */
  private filterOnly(
    keep: ((fields: StoredSearchFields) => boolean) | undefined,
    limit: number,
  ): IndexMatch[] {
    const top = new TopNewest(limit);
    for (const [id, sentAt] of this.times) {
      const stored = keep && (this.engine.getStoredFields(id) as unknown as StoredSearchFields | undefined);
      if (!keep || (stored && keep(stored))) top.offer(id, sentAt);
    }
    return top.ids().map((id) => {
      const stored = this.engine.getStoredFields(id) as unknown as StoredSearchFields;
      return { ...stored, id, score: 1, terms: [] };
    });
  }
}

/** The query terms as the engine sees them (its tokenizer and term processing). */
function queryTerms(words: string): string[] {
  return tokenize(words)
    .map(normalizeTerm)
    .filter((t) => t !== "");
}

function byNewest(a: IndexMatch, b: IndexMatch): number {
  return b.sentAt - a.sentAt || b.score - a.score;
}

function byRelevance(a: IndexMatch, b: IndexMatch): number {
  return b.score - a.score || b.sentAt - a.sentAt;
}

/** The `limit` newest of the ids offered (a buffer sorted and cut when it doubles). */
class TopNewest {
  private items: Array<{ id: string; at: number }> = [];
  private floor = Number.NEGATIVE_INFINITY;

  constructor(private readonly limit: number) {}

  offer(id: string, at: number): void {
    if (at < this.floor) return;
    this.items.push({ id, at });
    if (this.items.length >= 2 * this.limit) this.cut();
  }

  /** The kept ids, newest first. */
  ids(): string[] {
    this.cut();
    return this.items.map((i) => i.id);
  }

  private cut(): void {
    this.items.sort((a, b) => b.at - a.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    // the same id offered twice (met through two index terms) is kept once
    this.items = this.items.filter((item, i, all) => i === 0 || all[i - 1]?.id !== item.id);
    if (this.items.length >= this.limit) {
      this.items.length = this.limit;
      this.floor = (this.items[this.limit - 1] as { at: number }).at;
    }
  }
}
