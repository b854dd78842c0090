/** What a hidden spoiler shows as in one-line previews. */
export const SPOILER_MASK = "▮▮▮";

/**
 * `text` with every `||spoiler||` masked, for one-line previews that show the raw text (the
 * conversation list, reply quotes, pinned messages): without the Markdown parser, so it may mask
 * a little more than the parser would call a spoiler, never less of a spoiler that renders.
 *
 * @param text a message's text
 */
export function hideSpoilers(text: string): string {
  return text.replace(/\|\|[\s\S]*?\|\|/g, SPOILER_MASK);
}
