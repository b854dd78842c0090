import type { MessageRecord } from "../messaging/message-records.js";

/** Filters and ordering of {@link Search.messages}; every field is optional. */
export interface SearchOptions {
  /** Only messages of this conversation (its id, as `ConversationRecord.id`). */
  conversationId?: string;
  /** Only messages from this sender's handle (with or without a leading `@`). */
  from?: string;
  /** true: only messages whose text holds a link (`http://`, `https://` or `www.`); false: only those without. */
  hasLink?: boolean;
  /**
   * true: only messages carrying a file; false: only those without. No content type carries a file
   * yet, so `true` finds nothing until attachments exist.
   */
  hasFile?: boolean;
  /** Only messages sent at or after this time (sender's clock, ms since the epoch). */
  after?: number;
  /** Only messages sent before this time (sender's clock, ms since the epoch). */
  before?: number;
  /** How many hits at most: an integer from 1 to {@link SEARCH_MAX_LIMIT} (default 50). */
  limit?: number;
  /**
   * `"newest"` (default): every message that matches all the query's words, newest first (the
   * score breaks ties); `"relevance"`: the best score first (BM25, newer first on a tie).
   */
  sort?: "newest" | "relevance";
}

/** Where a query word matched in a hit's text: UTF-16 offsets into `messageText(hit.message)`. */
export interface SearchHighlight {
  /** Offset of the first character of the matched word. */
  start: number;
  /** Offset just after its last character. */
  end: number;
}

/** One message found by {@link Search.messages}. */
export interface SearchHit {
  /** The message as stored on this device (its text is the latest edit's). */
  message: MessageRecord;
  /** Relevance (BM25 over the message's words; higher is better, > 0). */
  score: number;
  /** The matched words in the text, in text order (empty when none can be pointed at). */
  highlights: SearchHighlight[];
}

/**
 * `client.search`: full-text search over every message this device has decrypted. Local only (the
 * server holds ciphertext it cannot read): an in-memory index built from the sealed store on the
 * first search and kept current with every message write — edits re-index, deletions for everyone
 * (tombstones) and deletions for this device drop out, membership events are never indexed. When
 * the client closes the index is saved sealed like every other record, so the next run does not
 * index everything again. See `search/README.md`.
 */
export interface Search {
  /**
   * Finds the text messages matching every word of `query` (case- and accent-insensitive; the last
   * word, from 3 characters, also matches as a prefix, for search as you type: "meet" finds "meeting").
   * The query may carry filters as operators — `in:CONV` (a conversation id or `@handle` of a direct
   * conversation), `from:@handle`, `has:link`, `has:file`, `after:DATE`, `before:DATE` (see
   * `parseSearchQuery`); an option given in `options` wins over the same operator. A query of
   * operators only lists every message they accept, newest first.
   *
   * @param query at most {@link SEARCH_MAX_QUERY_CHARS} characters: at least one word (a letter or
   *   digit) unless a filter is given (typed or in `options`)
   * @param options filters, limit and order (see {@link SearchOptions})
   * @returns the hits, ordered as `options.sort` says
   * @throws VollyError VOLLY_E_USAGE (empty or too long query, a bad option or operator);
   *   VOLLY_E_UNKNOWN_CONVERSATION (`in:@handle` without a direct conversation); VOLLY_E_DECRYPT_FAILED
   *   when a stored record was tampered with
   */
  messages(query: string, options?: SearchOptions): Promise<SearchHit[]>;
}

/** The most hits {@link Search.messages} returns at once. */
export const SEARCH_MAX_LIMIT = 1000;
/** The longest query {@link Search.messages} accepts, in characters. */
export const SEARCH_MAX_QUERY_CHARS = 500;
