import type { Delimiter, MarkdownIt, StateInline } from "markdown-it";

const PIPE = 0x7c;

/**
 * Adds Discord's spoiler syntax, `||hidden||`, to a markdown-it parser as `spoiler_open` /
 * `spoiler_close` tokens. Like markdown-it's own `~~` strikethrough rule: each `||` becomes a
 * delimiter that markdown-it's `balance_pairs` matches (left/right-flanking as for emphasis), so
 * spoilers nest with bold, italic and the rest; an unmatched `||` stays text.
 *
 * Because `|` is no "terminator" of markdown-it's `text` rule, this also replaces that rule with one
 * that stops at `|` too (otherwise `a||b||` would be swallowed as one run of text).
 *
 * @param md a parser whose inline ruler has `text` and `emphasis` rules (enabled or not)
 */
export function spoilerPlugin(md: MarkdownIt): void {
  md.inline.ruler.at("text", textRule);
  md.inline.ruler.before("emphasis", "spoiler", tokenize);
  md.inline.ruler2.before("emphasis", "spoiler", (state) => {
    postProcess(state, state.delimiters);
    for (const meta of state.tokens_meta) {
      if (meta?.delimiters) postProcess(state, meta.delimiters);
    }
    return false;
  });
}

/** markdown-it's `text` rule (rules_inline/text.mjs) with `|` as one more terminator. */
function textRule(state: StateInline, silent: boolean): boolean {
  let pos = state.pos;
  while (pos < state.posMax && !isTerminator(state.src.charCodeAt(pos))) pos++;
  if (pos === state.pos) return false;
  if (!silent) state.pending += state.src.slice(state.pos, pos);
  state.pos = pos;
  return true;
}

/** The characters at which markdown-it's text rule stops (its list, plus `|`). */
const TERMINATORS = new Set("\n!#$%&*+-:<=@[\\]^_`{}~|".split("").map((c) => c.charCodeAt(0)));

function isTerminator(ch: number): boolean {
  return TERMINATORS.has(ch);
}

function tokenize(state: StateInline, silent: boolean): boolean {
  if (silent || state.src.charCodeAt(state.pos) !== PIPE) return false;
  const scanned = state.scanDelims(state.pos, true);
  let len = scanned.length;
  if (len < 2) return false;
  if (len % 2) {
    state.push("text", "", 0).content = "|";
    len--;
  }
  for (let i = 0; i < len; i += 2) {
    state.push("text", "", 0).content = "||";
    state.delimiters.push({
      marker: PIPE,
      length: 0,
      token: state.tokens.length - 1,
      end: -1,
      open: scanned.can_open,
      close: scanned.can_close,
    });
  }
  state.pos += scanned.length;
  return true;
}

function postProcess(state: StateInline, delimiters: Delimiter[]): void {
  const loneMarkers: number[] = [];
  for (const start of delimiters) {
    if (start.marker !== PIPE || start.end === -1) continue;
    const end = delimiters[start.end];
    if (!end) continue;
    Object.assign(state.tokens[start.token] ?? {}, {
      type: "spoiler_open",
      tag: "span",
      nesting: 1,
      markup: "||",
      content: "",
    });
    Object.assign(state.tokens[end.token] ?? {}, {
      type: "spoiler_close",
      tag: "span",
      nesting: -1,
      markup: "||",
      content: "",
    });
    const before = state.tokens[end.token - 1];
    if (before?.type === "text" && before.content === "|") loneMarkers.push(end.token - 1);
  }
  // An odd run `|||||` was split `|` + `||` + `||`: move the lone `|` after the closing tags.
  for (let k = loneMarkers.length - 1; k >= 0; k--) {
    const i = loneMarkers[k] as number;
    let j = i + 1;
    while (j < state.tokens.length && state.tokens[j]?.type === "spoiler_close") j++;
    j--;
    if (i !== j) {
      const t = state.tokens[j];
      state.tokens[j] = state.tokens[i] as (typeof state.tokens)[number];
      state.tokens[i] = t as (typeof state.tokens)[number];
    }
  }
}
