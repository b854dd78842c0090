import markdownIt, { type MarkdownIt, type Token } from "markdown-it";
import {
  allowedHref,
  type BlockNode,
  type FormatNode,
  type InlineNode,
  MAX_FORMAT_DEPTH,
  type SPAN_KINDS,
} from "./format-tree.js";
import { spoilerPlugin } from "./spoiler-rule.js";

/**
 * The Markdown subset a message may use, as markdown-it rules (everything else is off, so it stays
 * text): fenced code blocks and quotes; bold and italic (`**`/`__`, `*`/`_`), strikethrough (`~~`),
 * inline code, links (`[text](url)`, `<url>` and bare http(s) URLs), backslash escapes, line
 * breaks, and spoilers (`||…||`, `spoiler-rule.ts`). Off on purpose: raw HTML, images, headings,
 * lists, tables, indented code (four spaces are common in chat and mean nothing there), entities
 * (`&amp;` shows as typed) and typographic replacements.
 */
const BLOCK_RULES = ["fence", "blockquote"];
const INLINE_RULES = [
  "newline",
  "escape",
  "backticks",
  "emphasis",
  "strikethrough",
  "link",
  "autolink",
  "linkify",
];

/**
 * markdown-it's nesting bound. Past it, its block parser drops the rest of the text, so a text
 * with quotes nested nearly that deep ({@link DEEP_QUOTES}) is parsed without quotes instead.
 */
const MAX_NESTING = 100;
/** A line that opens 40 or more quotes. */
const DEEP_QUOTES = /^(?:[ \t]*>){40}/m;

function createParser(quotes: boolean): MarkdownIt {
  const md = markdownIt("zero", {
    html: false,
    linkify: true,
    typographer: false,
    maxNesting: MAX_NESTING,
  });
  md.enable(["linkify", ...BLOCK_RULES.filter((r) => quotes || r !== "blockquote"), ...INLINE_RULES]);
  // Bare links only with a scheme (no "example.com" guessing, no bare e-mail addresses).
  md.linkify.set({ fuzzyLink: false, fuzzyEmail: false, fuzzyIP: false });
  md.validateLink = (url) => allowedHref(url) !== undefined;
  // Show a link's text as typed: no percent-decoding (which could turn %E2%80%AE into a
  // right-to-left override) and no punycode-to-Unicode.
  md.normalizeLinkText = (text) => text;
  spoilerPlugin(md);
  return md;
}

const parsers: { quotes?: MarkdownIt; flat?: MarkdownIt } = {};

/** The parser with quotes, or the one without (made on first use). */
function parserFor(kind: "quotes" | "flat"): MarkdownIt {
  let parser = parsers[kind];
  if (!parser) {
    parser = createParser(kind === "quotes");
    parsers[kind] = parser;
  }
  return parser;
}

/**
 * The text as the parser reads it: CR LF and lone CR become LF, NUL becomes U+FFFD (what
 * markdown-it does itself). Every text node of `parseFormatted(s)` comes from `normalizeSource(s)`.
 *
 * @param text message text
 */
export function normalizeSource(text: string): string {
  return text.replace(/\r\n?/g, "\n").replace(/\0/g, "\uFFFD");
}

/**
 * Parses a message's text as the Markdown subset messages use (see `BLOCK_RULES`) into a tree of
 * the node kinds of `format-tree.ts` only. Pure and total: any string gives a tree (never throws);
 * every character shown comes from the input (markers, escapes and link targets are left out; a
 * link's target is an http:, https: or mailto: URL); quotes and spans nest at most
 * `MAX_FORMAT_DEPTH` deep (deeper ones are flattened into their parent).
 *
 * @param text message text (up to LIMITS.maxTextChars characters)
 */
export function parseFormatted(text: string): BlockNode[] {
  const source = normalizeSource(text);
  try {
    const parser = parserFor(DEEP_QUOTES.test(source) ? "flat" : "quotes");
    return toTree(parser.parse(source, {}));
  } catch {
    // Not expected (the nesting bounds keep markdown-it's recursion shallow): show the text as is.
    return source ? [{ kind: "paragraph", children: [{ kind: "text", text: source }] }] : [];
  }
}

/** Builds the tree from markdown-it's block tokens (iteratively: no recursion on nesting depth). */
function toTree(tokens: Token[]): BlockNode[] {
  const root: BlockNode[] = [];
  const stack: { children: BlockNode[]; real: boolean }[] = [{ children: root, real: true }];
  let depth = 0;
  for (const token of tokens) {
    const top = stack[stack.length - 1] as (typeof stack)[number];
    switch (token.type) {
      case "blockquote_open": {
        if (depth >= MAX_FORMAT_DEPTH) {
          stack.push({ children: top.children, real: false });
        } else {
          const quote: BlockNode = { kind: "quote", children: [] };
          top.children.push(quote);
          stack.push({ children: quote.children, real: true });
          depth++;
        }
        break;
      }
      case "blockquote_close": {
        if (stack.length > 1 && stack.pop()?.real) depth--;
        break;
      }
      case "fence":
        top.children.push({ kind: "codeBlock", text: token.content.replace(/\n$/, "") });
        break;
      case "inline":
        top.children.push({ kind: "paragraph", children: inlineTree(token.children ?? []) });
        break;
      default:
        // paragraph_open/close carry nothing; any other block (none is enabled) shows its text.
        if (token.content && token.nesting === 0) {
          top.children.push({ kind: "paragraph", children: [{ kind: "text", text: token.content }] });
        }
    }
  }
  return root.filter((n) => n.kind !== "paragraph" || n.children.length > 0);
}

const SPAN_OF: Record<string, (typeof SPAN_KINDS)[number]> = {
  strong: "strong",
  em: "em",
  s: "strike",
  spoiler: "spoiler",
};

/** Builds inline nodes from an inline token's children. */
function inlineTree(tokens: Token[]): InlineNode[] {
  const root: InlineNode[] = [];
  type Open = {
    children: InlineNode[];
    node?: InlineNode & { children: InlineNode[] };
    parent: InlineNode[];
  };
  const stack: Open[] = [{ children: root, parent: root }];
  const top = () => stack[stack.length - 1] as Open;
  for (const token of tokens) {
    const name = token.type.replace(/_(open|close)$/, "");
    if (token.nesting === 1) {
      const href = name === "link" ? allowedHref(String(token.attrGet("href") ?? "")) : undefined;
      const kind = SPAN_OF[name];
      const node: (InlineNode & { children: InlineNode[] }) | undefined =
        stack.length > MAX_FORMAT_DEPTH
          ? undefined
          : href !== undefined
            ? { kind: "link", href, children: [] }
            : kind
              ? { kind, children: [] }
              : undefined;
      // A flattened or unknown span keeps adding to its parent's children.
      stack.push(
        node ? { children: node.children, node, parent: top().children } : { ...top(), node: undefined },
      );
    } else if (token.nesting === -1) {
      if (stack.length === 1) continue;
      const done = stack.pop() as Open;
      if (done.node && done.node.children.length > 0) done.parent.push(done.node);
    } else {
      const text = token.type === "softbreak" || token.type === "hardbreak" ? "\n" : token.content;
      if (!text) continue;
      const siblings = top().children;
      const last = siblings[siblings.length - 1];
      if (token.type === "code_inline") siblings.push({ kind: "code", text });
      else if (last?.kind === "text") last.text += text;
      else siblings.push({ kind: "text", text });
    }
  }
  // Anything left open (markdown-it balances its tokens, so never) is closed here.
  while (stack.length > 1) {
    const done = stack.pop() as Open;
    if (done.node && done.node.children.length > 0) done.parent.push(done.node);
  }
  return root;
}

export type { BlockNode, FormatNode, InlineNode };
