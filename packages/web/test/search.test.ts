import { describe, expect, it } from "vitest";
import { dayStart, searchSnippet } from "../src/lib/search-snippet.js";

describe("search snippets", () => {
  it("marks the matched words and keeps the rest as text", () => {
    const text = "Lunch at the Café, then lunch again";
    expect(
      searchSnippet(text, [
        { start: 0, end: 5 },
        { start: 24, end: 29 },
      ]),
    ).toEqual([
      { text: "Lunch", mark: true },
      { text: " at the Café, then ", mark: false },
      { text: "lunch", mark: true },
      { text: " again", mark: false },
    ]);
    expect(searchSnippet("no match here", [])).toEqual([{ text: "no match here", mark: false }]);
  });

  it("cuts a long text around the first match, with ellipses, and folds whitespace", () => {
    const text = `${"a ".repeat(100)}needle\n\nhere ${"b ".repeat(200)}`;
    const start = text.indexOf("needle");
    const parts = searchSnippet(text, [{ start, end: start + 6 }], 80);
    expect(parts[0]?.text.startsWith("…")).toBe(true);
    expect(parts[1]).toEqual({ text: "needle", mark: true });
    expect(parts[2]?.text.startsWith(" here ")).toBe(true);
    expect(parts[2]?.text.endsWith("…")).toBe(true);
    expect(parts.map((p) => p.text).join("").length).toBeLessThanOrEqual(82);
  });

  it("reads a date input as the start of that day here, or of the next one", () => {
    expect(dayStart("2026-12-01")).toBe(new Date(2026, 11, 1).getTime());
    expect(dayStart("2026-12-31", true)).toBe(new Date(2027, 0, 1).getTime());
    expect(dayStart("")).toBeUndefined();
  });
});
