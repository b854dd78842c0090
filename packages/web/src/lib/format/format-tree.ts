/**
 * The formatted-text tree a message renders from (`parseFormatted`, `markdown.ts`): only these
 * node kinds exist, each with only these fields, so a renderer that handles them — as Svelte
 * elements and text nodes, never HTML — can show nothing else. Everything a message says that is
 * not one of them stays text.
 */
export type FormatNode = BlockNode | InlineNode;

/** A block: a paragraph, a quote (of blocks) or a code block (verbatim text). */
export type BlockNode =
  | { kind: "paragraph"; children: InlineNode[] }
  | { kind: "quote"; children: BlockNode[] }
  | { kind: "codeBlock"; text: string };

/**
 * Inline content: text (a line break is a "\n" in it), inline code, a span of bold, italic,
 * strikethrough or spoiler, or a link (`href` always http:, https: or mailto:).
 */
export type InlineNode =
  | { kind: "text"; text: string }
  | { kind: "code"; text: string }
  | { kind: "strong" | "em" | "strike" | "spoiler"; children: InlineNode[] }
  | { kind: "link"; href: string; children: InlineNode[] };

/** The kinds of spans that only wrap other inline content. */
export const SPAN_KINDS = ["strong", "em", "strike", "spoiler"] as const;

/** Every node kind (what a fuzz test checks the output against). */
export const NODE_KINDS = ["paragraph", "quote", "codeBlock", "text", "code", ...SPAN_KINDS, "link"] as const;

/** The URL schemes a link may have. */
export const LINK_PROTOCOLS: readonly string[] = ["http:", "https:", "mailto:"];

/** Deepest nesting of quotes and of spans kept; deeper ones are flattened into their parent. */
export const MAX_FORMAT_DEPTH = 8;

/**
 * The normalised href of `raw` when it is an absolute http:, https: or mailto: URL (what a link
 * may point to), else undefined.
 *
 * @param raw a link destination as written or as the parser normalised it
 */
export function allowedHref(raw: string): string | undefined {
  try {
    const url = new URL(raw);
    return LINK_PROTOCOLS.includes(url.protocol) ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The text a tree shows, in order (code and code blocks included, link targets not; no separator
 * between blocks): what a fuzz test compares with the input.
 *
 * @param nodes a tree from `parseFormatted`
 */
export function plainText(nodes: readonly FormatNode[]): string {
  let out = "";
  for (const node of nodes) {
    if ("children" in node) out += plainText(node.children);
    else out += node.text;
  }
  return out;
}
