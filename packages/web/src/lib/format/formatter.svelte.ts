import type { BlockNode } from "./format-tree";

/**
 * The Markdown parser, loaded on first use as a lazy chunk (markdown-it is about as big as the
 * whole first page): until it is there, a message shows as one paragraph of plain text.
 */
class Formatter {
  /** `parseFormatted` once loaded. */
  parse = $state<((text: string) => BlockNode[]) | undefined>();
  private loading: Promise<void> | undefined;

  /** The blocks of `text`: formatted when the parser is loaded, else plain (and starts loading it). */
  blocks(text: string): BlockNode[] {
    if (this.parse) return this.parse(text);
    this.loading ??= import("./markdown").then(
      (m) => {
        this.parse = m.parseFormatted;
      },
      () => {
        this.loading = undefined;
      },
    );
    return text ? [{ kind: "paragraph", children: [{ kind: "text", text }] }] : [];
  }
}

/** The app's one formatter. */
export const formatter = new Formatter();
