import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  allowedHref,
  type FormatNode,
  LINK_PROTOCOLS,
  MAX_FORMAT_DEPTH,
  NODE_KINDS,
  plainText,
} from "../src/lib/format/format-tree.js";
import { normalizeSource, parseFormatted } from "../src/lib/format/markdown.js";

/** The fields each node kind may have — nothing else may come out of the parser. */
const FIELDS: Record<string, string[]> = {
  paragraph: ["children", "kind"],
  quote: ["children", "kind"],
  codeBlock: ["kind", "text"],
  text: ["kind", "text"],
  code: ["kind", "text"],
  strong: ["children", "kind"],
  em: ["children", "kind"],
  strike: ["children", "kind"],
  spoiler: ["children", "kind"],
  link: ["children", "href", "kind"],
};
const BLOCK = new Set(["paragraph", "quote", "codeBlock"]);

/** Throws unless every node is an allowed kind with only its fields, in an allowed place. */
function checkTree(
  nodes: readonly FormatNode[],
  where: "blocks" | "inline",
  depth: number,
  inLink: boolean,
): void {
  expect(depth).toBeLessThanOrEqual(MAX_FORMAT_DEPTH + 2);
  for (const node of nodes) {
    expect(NODE_KINDS).toContain(node.kind);
    expect(Object.keys(node).sort()).toEqual(FIELDS[node.kind]);
    expect(BLOCK.has(node.kind)).toBe(where === "blocks");
    if ("text" in node) {
      expect(typeof node.text).toBe("string");
      // An empty fence is an empty code block; nothing else is empty.
      if (node.kind !== "codeBlock") expect(node.text.length).toBeGreaterThan(0);
    }
    if (node.kind === "link") {
      expect(inLink).toBe(false);
      expect(allowedHref(node.href)).toBe(node.href);
      expect(LINK_PROTOCOLS).toContain(new URL(node.href).protocol);
    }
    if ("children" in node) {
      const inner = node.kind === "quote" ? "blocks" : "inline";
      checkTree(node.children, inner, depth + 1, inLink || node.kind === "link");
    }
  }
}

/** True when `needle` is a subsequence of `hay`. */
function isSubsequence(needle: string, hay: string): boolean {
  let i = 0;
  for (let k = 0; k < hay.length && i < needle.length; k++) if (needle[i] === hay[k]) i++;
  return i === needle.length;
}

const noSpace = (s: string) => s.replace(/\s+/g, "");

/**
 * The properties of any input: only allowed nodes come out, and every character shown comes from
 * the input, in order (markers, escapes and link targets drop out; whitespace is compared loosely
 * as code spans turn line breaks into spaces and paragraphs trim their lines).
 */
function checkInput(text: string): void {
  const tree = parseFormatted(text);
  checkTree(tree, "blocks", 0, false);
  const shown = noSpace(plainText(tree));
  expect(isSubsequence(shown, noSpace(normalizeSource(text)))).toBe(true);
  expect(parseFormatted(text)).toEqual(tree);
}

const PIECES = [
  "**",
  "*",
  "_",
  "__",
  "~~",
  "~",
  "||",
  "|",
  "`",
  "```",
  "~~~",
  "\n",
  "\n\n",
  ">",
  "> ",
  "[",
  "](",
  "(",
  ")",
  "]",
  "<",
  "!",
  "\\",
  "x",
  "word",
  " ",
  "\t",
  "    ",
  "\r\n",
  "\r",
  "\u0000",
  "\u0007",
  "\u001b",
  "\u007f",
  "\u202e",
  "\u200b",
  "\ufeff",
  "😀",
  "é",
  "&lt;",
  "&amp;",
  "&#x3C;",
  "&#106;",
  "%0a",
  "#",
  "- ",
  "1. ",
  "javascript:alert(1)",
  "JaVaScRiPt:alert(1)",
  " javascript:alert(1)",
  "java\nscript:",
  "vbscript:x",
  "data:text/html,<script>alert(1)</script>",
  "file:///etc/passwd",
  "//evil.example/",
  "https://example.com/",
  "http://a.b/?q=<x>",
  "mailto:a@b.c",
  "ftp://x.y",
  "<https://a.b>",
  "<javascript:alert(1)>",
  "[x](javascript:alert(1))",
  "[x](https://ok.example)",
  "[x]: javascript:alert(1)",
  "![i](https://x.y/i.png)",
  "<img src=x onerror=alert(1)>",
  "<script>alert(1)</script>",
  "<a href=javascript:alert(1)>",
  "</p>",
  '"',
  "'",
  "onerror=",
  "{@html x}",
  "{",
  "}",
];

const tokenSoup = fc.array(fc.constantFrom(...PIECES), { maxLength: 60 }).map((a) => a.join(""));
const deepNesting = fc
  .tuple(
    fc.constantFrom("> ", ">", "**", "*", "_", "||", "~~", "[", "[x](", "`", "*_", "||**", "> **", "<", "\\"),
    fc.integer({ min: 1, max: 3000 }),
    fc.constantFrom("", "x", "deep text", "[a](javascript:alert(1))"),
  )
  .map(([open, n, mid]) => open.repeat(n) + mid + [...open].reverse().join("").repeat(n));

describe("parseFormatted under random and adversarial input (fast-check)", () => {
  it("only emits allowed nodes and only characters of the input, for any string", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: "binary", maxLength: 300 }), fc.string({ maxLength: 300 })),
        checkInput,
      ),
      { numRuns: 1500 },
    );
  });

  it("holds for a soup of Markdown markers, HTML and dangerous links", () => {
    fc.assert(fc.property(tokenSoup, checkInput), { numRuns: 3000 });
  });

  it("holds for deep nesting, without overflowing the stack", () => {
    fc.assert(fc.property(deepNesting, checkInput), { numRuns: 200 });
  });

  it("round-trips plain words exactly", () => {
    const word = fc.stringMatching(/^[A-Za-z0-9]{1,12}$/);
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 40 }), (words) => {
        const text = words.join(" ");
        expect(parseFormatted(text)).toEqual([{ kind: "paragraph", children: [{ kind: "text", text }] }]);
      }),
      { numRuns: 500 },
    );
  });

  it("keeps every word of formatted text, wrapped in its span", () => {
    const word = fc.stringMatching(/^[A-Za-z0-9]{1,12}$/);
    const marker = fc.constantFrom(
      ["**", "strong"],
      ["*", "em"],
      ["~~", "strike"],
      ["||", "spoiler"],
    ) as fc.Arbitrary<[string, string]>;
    fc.assert(
      fc.property(fc.array(fc.tuple(word, fc.option(marker)), { minLength: 1, maxLength: 20 }), (parts) => {
        const text = parts.map(([w, m]) => (m ? `${m[0]}${w}${m[0]}` : w)).join(" ");
        const [p] = parseFormatted(text);
        expect(plainText(p ? [p] : [])).toBe(parts.map(([w]) => w).join(" "));
        const spans = p?.kind === "paragraph" ? p.children.filter((n) => n.kind !== "text") : [];
        expect(spans.map((n) => n.kind)).toEqual(parts.flatMap(([, m]) => (m ? [m[1]] : [])));
      }),
      { numRuns: 500 },
    );
  });

  it("cannot be made to link anywhere but http(s) and mailto", () => {
    const scheme = fc.constantFrom(
      "javascript",
      "JAVASCRIPT",
      "vbscript",
      "data",
      "file",
      "blob",
      "about",
      "jav\tascript",
    );
    fc.assert(
      fc.property(scheme, fc.string({ maxLength: 20 }), (s, rest) => {
        for (const text of [`[x](${s}:${rest})`, `<${s}:${rest}>`, `${s}:${rest}`, `[x](<${s}:${rest}>)`]) {
          const json = JSON.stringify(parseFormatted(text));
          expect(json.includes('"link"') ? /"href":"(https?|mailto):/.test(json) : true).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("keeps a checked href for links it makes", () => {
    expect(allowedHref("javascript:alert(1)")).toBeUndefined();
    expect(allowedHref(" https://x.y")).toBe("https://x.y/");
  });
});
