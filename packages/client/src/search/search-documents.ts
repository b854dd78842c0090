import type { MessageRecord } from "../messaging/message-records.js";

/** What the index keeps of one message: its words, and the fields the filters read. */
export interface SearchDocument {
  /** The message's id. */
  id: string;
  /** Its latest text (indexed, not stored in the index). */
  text: string;
  /** Its conversation. */
  conversationId: string;
  /** Its sender's handle, lower-cased, without `@`. */
  from: string;
  /** Sender's clock, ms. */
  sentAt: number;
  /** Whether the text holds a link. */
  hasLink: boolean;
  /** Whether it carries a file (`MessageRecord.attachments`). */
  hasFile: boolean;
}

/** The document fields kept in the index for filtering and ordering (not `text`). */
export const STORED_FIELDS = ["conversationId", "from", "sentAt", "hasLink", "hasFile"] as const;

const WORD = /[\p{L}\p{N}\p{M}_]+/gu;
const LINK = /\bhttps?:\/\/\S|\bwww\.\S/i;

/**
 * The document to index for a message, or undefined when it has nothing to search: a membership
 * event, a tombstone (deleted for everyone), or a future body without text.
 */
export function searchDocument(message: MessageRecord): SearchDocument | undefined {
  if (message.body.type !== "text") return undefined;
  const text = message.body.text;
  return {
    id: message.id,
    text,
    conversationId: message.conversationId,
    from: normalizeHandle(message.from),
    sentAt: message.sentAt,
    hasLink: LINK.test(text),
    hasFile: (message.attachments?.length ?? 0) > 0,
  };
}

/** A handle as the index keeps it: lower-case, without a leading `@`. */
export function normalizeHandle(handle: string): string {
  return (handle.startsWith("@") ? handle.slice(1) : handle).toLowerCase();
}

/** Splits text into words (runs of letters, digits, marks and `_`); shared by indexing and queries. */
export function tokenize(text: string): string[] {
  return text.match(WORD) ?? [];
}

/** A word as indexed and queried: lower-case, accents removed (é → e). */
export function normalizeTerm(term: string): string {
  return term
    .normalize("NFD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase();
}

/**
 * The spans of `text` whose words match one of `terms` (normalized, as the index reports them
 * matched; a word matches when it starts with the term, as queries match prefixes).
 */
export function highlightSpans(
  text: string,
  terms: readonly string[],
): Array<{ start: number; end: number }> {
  if (terms.length === 0) return [];
  const spans: Array<{ start: number; end: number }> = [];
  for (const match of text.matchAll(WORD)) {
    const word = normalizeTerm(match[0]);
    if (terms.some((t) => word.startsWith(t))) {
      spans.push({ start: match.index, end: match.index + match[0].length });
    }
  }
  return spans;
}
