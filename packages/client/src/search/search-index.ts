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

/**
 * An in-memory inverted index of messages (MiniSearch: BM25 scores, prefix matching), the one
 * engine of both Node and browsers. It holds plaintext words in memory only; its snapshot
 * ({@link SearchIndex.toJSON}) is saved sealed by `search-snapshot.ts`.
 */
export class SearchIndex {
  private constructor(private readonly engine: MiniSearch<SearchDocument>) {}

  /** An empty index. */
  static empty(): SearchIndex {
    return new SearchIndex(new MiniSearch<SearchDocument>(OPTIONS));
  }

  /** The index a snapshot ({@link toJSON}) describes. Throws when the snapshot is malformed. */
  static load(snapshot: AsPlainObject): SearchIndex {
    return new SearchIndex(MiniSearch.loadJS<SearchDocument>(snapshot, OPTIONS));
  }

  /** How many messages are indexed. */
  get size(): number {
    return this.engine.documentCount;
  }

  /** Indexes a message's document, replacing what was indexed for its id. */
  upsert(doc: SearchDocument): void {
    if (this.engine.has(doc.id)) this.engine.discard(doc.id);
    this.engine.add(doc);
  }

  /** Drops a message from the index (nothing when it is not indexed). */
  remove(id: string): void {
    if (this.engine.has(id)) this.engine.discard(id);
  }

  /**
   * Every document matching all words of `query` (the last, from 3 characters, also as a prefix) that `keep` accepts.
   *
   * @param keep a filter over the stored fields (conversation, sender, time, link, file)
   */
  query(query: string, keep: (fields: StoredSearchFields) => boolean): IndexMatch[] {
    // Filtered while scoring (a falsy boost skips the document) rather than after: no result
    // object is made for what the filters drop.
    const results = this.engine.search(query, {
      boostDocument: (_id, _term, stored) => (keep(stored as unknown as StoredSearchFields) ? 1 : 0),
    });
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

  /** A plain-object snapshot of the index (JSON-serializable), for {@link SearchIndex.load}. */
  toJSON(): AsPlainObject {
    return this.engine.toJSON();
  }
}
