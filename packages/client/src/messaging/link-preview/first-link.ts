const URL_RE = /\bhttps?:\/\/[^\s<>"'`|]+/i;
/** Punctuation and Markdown markers that end a sentence rather than a URL. */
const TRAILING = /[.,;:!?)\]}'"*_~>]+$/;

/**
 * The first http(s) URL written in a message's text (trailing punctuation and Markdown markers
 * left out), or undefined — also when the text has a spoiler (`||`), whose link a preview card
 * would give away.
 *
 * @param text a message's text
 */
export function firstHttpUrl(text: string): string | undefined {
  if (text.includes("||")) return undefined;
  const match = URL_RE.exec(text);
  if (!match) return undefined;
  const raw = match[0].replace(TRAILING, "");
  try {
    const url = new URL(raw);
    return url.protocol === "http:" || url.protocol === "https:" ? raw : undefined;
  } catch {
    return undefined;
  }
}
