import { describe, expect, it } from "vitest";
import { MAX_FORMAT_DEPTH, plainText } from "../src/lib/format/format-tree.js";
import { parseFormatted } from "../src/lib/format/markdown.js";
import { toggleMarker } from "../src/lib/format/shortcuts.js";
import { hideSpoilers, SPOILER_MASK } from "../src/lib/format/spoiler-text.js";
import { snippet } from "../src/lib/message-actions.js";

/** The inline nodes of a one-paragraph message. */
function inline(text: string) {
  const blocks = parseFormatted(text);
  expect(blocks).toHaveLength(1);
  const [p] = blocks;
  if (p?.kind !== "paragraph") throw new Error(`not a paragraph: ${JSON.stringify(blocks)}`);
  return p.children;
}

describe("parseFormatted: the Markdown subset of messages", () => {
  it("parses bold, italic, strikethrough, inline code and spoilers", () => {
    expect(inline("**b** *i* _i_ ~~s~~ `c` ||sp||")).toEqual([
      { kind: "strong", children: [{ kind: "text", text: "b" }] },
      { kind: "text", text: " " },
      { kind: "em", children: [{ kind: "text", text: "i" }] },
      { kind: "text", text: " " },
      { kind: "em", children: [{ kind: "text", text: "i" }] },
      { kind: "text", text: " " },
      { kind: "strike", children: [{ kind: "text", text: "s" }] },
      { kind: "text", text: " " },
      { kind: "code", text: "c" },
      { kind: "text", text: " " },
      { kind: "spoiler", children: [{ kind: "text", text: "sp" }] },
    ]);
  });

  it("nests spans, spoilers included", () => {
    expect(inline("||a **b** c||")).toEqual([
      {
        kind: "spoiler",
        children: [
          { kind: "text", text: "a " },
          { kind: "strong", children: [{ kind: "text", text: "b" }] },
          { kind: "text", text: " c" },
        ],
      },
    ]);
  });

  it("keeps an unmatched spoiler marker and pipes as text", () => {
    expect(plainText(parseFormatted("a || b | c"))).toBe("a || b | c");
    expect(inline("|||x|||")).toEqual([
      { kind: "text", text: "|" },
      { kind: "spoiler", children: [{ kind: "text", text: "x" }] },
      { kind: "text", text: "|" },
    ]);
  });

  it("parses quotes and fenced code blocks, keeping code verbatim", () => {
    expect(parseFormatted("> quoted *x*\n\nafter\n```js\n<b>**no**</b>\n```")).toEqual([
      {
        kind: "quote",
        children: [
          {
            kind: "paragraph",
            children: [
              { kind: "text", text: "quoted " },
              { kind: "em", children: [{ kind: "text", text: "x" }] },
            ],
          },
        ],
      },
      { kind: "paragraph", children: [{ kind: "text", text: "after" }] },
      { kind: "codeBlock", text: "<b>**no**</b>" },
    ]);
  });

  it("keeps line breaks as text", () => {
    expect(inline("one\ntwo")).toEqual([{ kind: "text", text: "one\ntwo" }]);
  });

  it("links http(s) and mailto only, as written and bare", () => {
    expect(inline("[site](https://example.org/a) and https://example.com/x.")).toEqual([
      { kind: "link", href: "https://example.org/a", children: [{ kind: "text", text: "site" }] },
      { kind: "text", text: " and " },
      {
        kind: "link",
        href: "https://example.com/x",
        children: [{ kind: "text", text: "https://example.com/x" }],
      },
      { kind: "text", text: "." },
    ]);
    expect(inline("<mailto:a@example.org>")).toEqual([
      {
        kind: "link",
        href: "mailto:a@example.org",
        children: [{ kind: "text", text: "mailto:a@example.org" }],
      },
    ]);
  });

  it("leaves dangerous links, raw HTML, images and entities as text", () => {
    for (const text of [
      "[x](javascript:alert(1))",
      "[x](JaVaScRiPt:alert(1))",
      "[x](data:text/html,<script>alert(1)</script>)",
      "[x](vbscript:msgbox)",
      "<img src=x onerror=alert(1)>",
      "<script>alert(1)</script>",
      "<javascript:alert(1)>",
      "&lt;b&gt; &amp;",
    ]) {
      const blocks = parseFormatted(text);
      expect(JSON.stringify(blocks)).not.toContain('"link"');
      expect(plainText(blocks)).toBe(text);
    }
    expect(plainText(parseFormatted("![alt](https://example.org/i.png)"))).toBe("!alt");
  });

  it("leaves headings, lists, tables and indented code as text", () => {
    for (const text of ["# Title", "- item", "1. first", "| a | b |", "    indented"]) {
      expect(parseFormatted(text)).toEqual([
        { kind: "paragraph", children: [{ kind: "text", text: text.trim() }] },
      ]);
    }
  });

  it("shows a link's text as typed (no percent-decoding into a right-to-left override)", () => {
    expect(inline("https://example.org/%E2%80%AEtxt.exe")).toEqual([
      {
        kind: "link",
        href: "https://example.org/%E2%80%AEtxt.exe",
        children: [{ kind: "text", text: "https://example.org/%E2%80%AEtxt.exe" }],
      },
    ]);
  });

  it("flattens deep nesting, and shows quotes nested too deep to parse as typed", () => {
    const depth = (nodes: readonly { kind: string; children?: unknown }[]): number =>
      Math.max(0, ...nodes.map((n) => (Array.isArray(n.children) ? 1 + depth(n.children) : 0)));
    const nested = parseFormatted(`${">".repeat(30)} **deep**`);
    expect(depth(nested)).toBe(MAX_FORMAT_DEPTH + 2);
    expect(plainText(nested)).toBe("deep");
    const tooDeep = `${">".repeat(5000)} deep`;
    expect(parseFormatted(tooDeep)).toEqual([
      { kind: "paragraph", children: [{ kind: "text", text: tooDeep }] },
    ]);
    let inner = "x";
    for (let i = 0; i < 50; i++) inner = `||a **b ~~c *d ${inner} d* c~~ b** a||`;
    const spans = parseFormatted(inner);
    expect(depth(spans)).toBeLessThanOrEqual(MAX_FORMAT_DEPTH + 1);
    expect(plainText(spans).replace(/\s/g, "")).toBe(`${"abcd".repeat(50)}x${"dcba".repeat(50)}`);
  });
});

describe("hideSpoilers (one-line previews)", () => {
  it("masks every spoiler", () => {
    expect(hideSpoilers("a ||b|| c ||d\ne|| f || g")).toBe(`a ${SPOILER_MASK} c ${SPOILER_MASK} f || g`);
    expect(snippet("the killer is ||the butler||")).toBe(`the killer is ${SPOILER_MASK}`);
  });
});

describe("toggleMarker (Ctrl+B / Ctrl+I in the composer)", () => {
  it("wraps the selection, and unwraps it again", () => {
    const bold = toggleMarker("say hi now", 4, 6, "**");
    expect(bold).toEqual({ text: "say **hi** now", start: 6, end: 8 });
    expect(toggleMarker(bold.text, bold.start, bold.end, "**")).toEqual({
      text: "say hi now",
      start: 4,
      end: 6,
    });
    expect(toggleMarker("", 0, 0, "*")).toEqual({ text: "**", start: 1, end: 1 });
  });
});
