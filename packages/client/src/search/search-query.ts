import { VollyError } from "@volly/protocol";
import { typedHandle } from "../account/server-name.js";
import { SEARCH_MAX_LIMIT, SEARCH_MAX_QUERY_CHARS, type SearchOptions } from "./search-api.js";
import { tokenize } from "./search-documents.js";
import type { StoredSearchFields } from "./search-index.js";

/** A query and options found valid: the sender filter normalized. */
export interface ValidSearch {
  /**
   * `options.from` as this client's server names the account (lower-case, without `@`; bare for
   * its own accounts, `user@server` for another server's; see `typedHandle`), or undefined.
   */
  from: string | undefined;
}

function usage(message: string): VollyError {
  return new VollyError("VOLLY_E_USAGE", message);
}

/**
 * Checks a query's words (operators taken out) and its options (see `Search.messages`).
 *
 * @param ownServers this client's server name(s) (`ownServerNames`): `from:alice@<one of them>`
 *   is `alice`; without them only a bare handle names an account of this server
 * @throws VollyError VOLLY_E_USAGE naming what is wrong
 */
export function validateSearch(
  words: string,
  options: SearchOptions,
  ownServers: readonly string[] = [],
): ValidSearch {
  if (tokenize(words).length === 0 && !hasFilter(options)) {
    throw usage("A search needs at least one word (a letter or digit) or a filter.");
  }
  const { limit, after, before, sort } = options;
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1 && limit <= SEARCH_MAX_LIMIT)) {
    throw usage(`A search limit is an integer from 1 to ${SEARCH_MAX_LIMIT}.`);
  }
  for (const [name, value] of [
    ["after", after],
    ["before", before],
  ] as const) {
    if (value !== undefined && !Number.isFinite(value)) throw usage(`Search option ${name} is a time in ms.`);
  }
  if (sort !== undefined && sort !== "newest" && sort !== "relevance") {
    throw usage('Search option sort is "newest" or "relevance".');
  }
  let from: string | undefined;
  if (options.from !== undefined) {
    try {
      from = typedHandle(options.from, ownServers);
    } catch {
      throw usage(`Search option from is a handle, not "${options.from}".`);
    }
  }
  return { from };
}

/**
 * Checks the raw text of a query (before its operators are parsed).
 *
 * @throws VollyError VOLLY_E_USAGE when it is not a string of at most SEARCH_MAX_QUERY_CHARS characters
 */
export function validateQueryText(query: string): void {
  if (typeof query !== "string" || query.length > SEARCH_MAX_QUERY_CHARS) {
    throw usage(`A search query is at most ${SEARCH_MAX_QUERY_CHARS} characters.`);
  }
}

/** Whether `options` narrow the search by anything (so a query of filters only is meaningful). */
export function hasFilter(options: SearchOptions): boolean {
  const { conversationId, from, hasLink, hasFile, after, before } = options;
  return [conversationId, from, hasLink, hasFile, after, before].some((v) => v !== undefined);
}

/** The filter of {@link SearchOptions} over an indexed message's stored fields. */
export function matchFilter(
  options: SearchOptions,
  from: string | undefined,
): (fields: StoredSearchFields) => boolean {
  const { conversationId, hasLink, hasFile, after, before } = options;
  return (f) =>
    (conversationId === undefined || f.conversationId === conversationId) &&
    (from === undefined || f.from === from) &&
    (hasLink === undefined || f.hasLink === hasLink) &&
    (hasFile === undefined || f.hasFile === hasFile) &&
    (after === undefined || f.sentAt >= after) &&
    (before === undefined || f.sentAt < before);
}
