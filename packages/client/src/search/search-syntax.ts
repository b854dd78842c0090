import { VollyError } from "@volly/protocol";
import type { SearchOptions } from "./search-api.js";

/** A query's words and the filters its operators named (see {@link parseSearchQuery}). */
export interface ParsedSearchQuery {
  /** The words to match (the query without its operators, single spaces). May be empty. */
  words: string;
  /**
   * The filters the operators named: `conversationId` (`in:`; an `@handle` is kept as written, for
   * the caller to resolve to its direct conversation), `from`, `hasLink`, `hasFile`, `after`, `before`.
   */
  filters: Pick<SearchOptions, "conversationId" | "from" | "hasLink" | "hasFile" | "after" | "before">;
}

/** `name:value` with a known name; anything else is a word. */
const OPERATOR = /^(in|from|has|before|after):(\S+)$/i;
/** A calendar date: `2026-12-01` (local midnight). */
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

function usage(message: string): VollyError {
  return new VollyError("VOLLY_E_USAGE", message);
}

/**
 * A time an operator names: a date `YYYY-MM-DD` is the start of that day in this device's time
 * zone; anything else must be an ISO-8601 date-time (`2026-12-01T09:30`, `…Z`, `…+01:00`).
 *
 * @returns ms since the epoch
 * @throws VollyError VOLLY_E_USAGE when it is neither
 */
export function parseSearchTime(name: string, value: string): number {
  const day = DATE_ONLY.exec(value);
  if (day) {
    const [, y, m, d] = day.map(Number) as [number, number, number, number];
    const at = new Date(y, m - 1, d);
    if (at.getFullYear() === y && at.getMonth() === m - 1 && at.getDate() === d) return at.getTime();
  } else if (/^\d{4}-\d{2}-\d{2}T/.test(value)) {
    const at = Date.parse(value);
    if (Number.isFinite(at)) return at;
  }
  throw usage(`${name} is a date (2026-12-01) or an ISO-8601 time, not "${value}".`);
}

/**
 * Splits a search as typed into words and filters. Operators (case-insensitive names, no space
 * after the colon): `in:CONV` (a conversation id, or `@handle` of a direct conversation),
 * `from:@handle`, `has:link`, `has:file`, `after:DATE` (from the start of that day, inclusive),
 * `before:DATE` (before the start of that day); DATE is `YYYY-MM-DD` (this device's time zone) or
 * an ISO-8601 date-time. A later operator of the same name replaces an earlier one. Any other
 * `word:word` is searched as words.
 *
 * Example: `has:link from:@bob in:@carol before:2026-12-01 menu`.
 *
 * @param text the query as typed (its length is checked by `Search.messages`)
 * @throws VollyError VOLLY_E_USAGE for `has:` other than link/file, or a date that does not parse
 */
export function parseSearchQuery(text: string): ParsedSearchQuery {
  const words: string[] = [];
  const filters: ParsedSearchQuery["filters"] = {};
  for (const part of text.split(/\s+/)) {
    if (part === "") continue;
    const op = OPERATOR.exec(part);
    if (!op) {
      words.push(part);
      continue;
    }
    const name = (op[1] as string).toLowerCase();
    const value = op[2] as string;
    if (name === "in") filters.conversationId = value;
    else if (name === "from") filters.from = value;
    else if (name === "after" || name === "before") filters[name] = parseSearchTime(`${name}:`, value);
    else if (value.toLowerCase() === "link") filters.hasLink = true;
    else if (value.toLowerCase() === "file") filters.hasFile = true;
    else throw usage(`has: is "has:link" or "has:file", not "has:${value}".`);
  }
  return { words: words.join(" "), filters };
}
