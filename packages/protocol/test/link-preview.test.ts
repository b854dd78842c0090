import { describe, expect, it } from "vitest";
import { ApplicationContent, LINK_PREVIEW_LIMITS, matches, newId } from "../src/index.js";

function text(preview: unknown) {
  return { v: 1, type: "text", id: newId(), text: "see https://example.org", sentAt: 1, preview };
}

describe("TextContent.preview (LinkPreview)", () => {
  it("accepts a preview with an http(s) URL and one-line fields within their limits", () => {
    expect(matches(ApplicationContent, text({ url: "https://example.org" }))).toBe(true);
    expect(
      matches(
        ApplicationContent,
        text({ url: "http://example.org/a?b", title: "T", description: "D", siteName: "S" }),
      ),
    ).toBe(true);
    expect(matches(ApplicationContent, { ...text(undefined), preview: undefined })).toBe(true);
  });

  it("refuses other schemes, control characters, line breaks and over-long fields", () => {
    for (const preview of [
      { url: "javascript:alert(1)" },
      { url: "data:text/html,x" },
      { url: "https://exa mple.org" },
      { url: "https://example.org", title: "a\nb" },
      { url: "https://example.org", description: "\u0007" },
      { url: "https://example.org", siteName: "" },
      { url: "https://example.org", title: "x".repeat(LINK_PREVIEW_LIMITS.title + 1) },
      { url: `https://example.org/${"x".repeat(LINK_PREVIEW_LIMITS.url)}` },
      { title: "no url" },
      "https://example.org",
    ]) {
      expect(matches(ApplicationContent, text(preview)), JSON.stringify(preview)).toBe(false);
    }
  });
});
