import type { SearchHighlight } from "../worker/rpc-types.js";

/** A piece of a result's snippet: plain text, or a matched word (`mark`). */
export interface SnippetPart {
  text: string;
  mark: boolean;
}

/** How many characters of a message a search result shows around its first match. */
export const SEARCH_SNIPPET_CHARS = 160;
/** How much of the text before the first match is kept, at most. */
const LEAD_CHARS = 40;

/**
 * The snippet of a search result: up to `max` characters of `text` (whitespace runs as one space)
 * around its first highlighted word — "…" where it was cut — split into plain and matched parts, so
 * the UI marks the matches with `<mark>` without any HTML from the message.
 *
 * @param text the message's text
 * @param highlights UTF-16 offsets of the matched words in `text`, in text order
 * @param max the most characters shown (ellipses excluded)
 */
export function searchSnippet(
  text: string,
  highlights: readonly SearchHighlight[],
  max = SEARCH_SNIPPET_CHARS,
): SnippetPart[] {
  const first = highlights[0]?.start ?? 0;
  const start = first <= LEAD_CHARS ? 0 : first - LEAD_CHARS;
  const end = Math.min(text.length, start + max);
  const parts: SnippetPart[] = [];
  const push = (from: number, to: number, mark: boolean) => {
    if (to > from) parts.push({ text: text.slice(from, to).replace(/\s+/g, " "), mark });
  };
  let at = start;
  for (const h of highlights) {
    if (h.end <= at || h.start >= end) continue;
    push(at, Math.max(at, h.start), false);
    push(Math.max(at, h.start), Math.min(end, h.end), true);
    at = Math.min(end, h.end);
  }
  push(at, end, false);
  if (start > 0 && parts[0]) parts[0] = { ...parts[0], text: `…${parts[0].text.trimStart()}` };
  const last = parts[parts.length - 1];
  if (end < text.length && last) parts[parts.length - 1] = { ...last, text: `${last.text.trimEnd()}…` };
  return parts;
}

/**
 * A date input's value (`YYYY-MM-DD`) as the start of that day here (ms), or undefined when empty.
 *
 * @param nextDay the start of the following day instead (an inclusive "to" date as an exclusive bound)
 */
export function dayStart(value: string, nextDay = false): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return undefined;
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + (nextDay ? 1 : 0)).getTime();
}
