import { type Static, Type } from "@sinclair/typebox";

/** Most characters of each field of a {@link LinkPreview}. */
export const LINK_PREVIEW_LIMITS = {
  url: 2048,
  title: 300,
  description: 1000,
  siteName: 100,
} as const;

/** One line of text: no control characters (C0, DEL, C1), so no line breaks. */
function line(maxLength: number, description: string) {
  return Type.String({
    minLength: 1,
    maxLength,
    pattern: "^[^\\u0000-\\u001f\\u007f-\\u009f]+$",
    description,
  });
}

/**
 * A link preview the sender's device made for the first http(s) URL of its text message (only when
 * the sender turned link previews on; docs/architecture.md "Formatting and link previews"): the page's title, description and
 * site name as its Open Graph tags or `<title>` gave them, cut to {@link LINK_PREVIEW_LIMITS}.
 * Receivers render it from here and never fetch the page. No image (an image would be another
 * fetch, by the receiver or of more of the sender's bandwidth).
 */
export const LinkPreview = Type.Object({
  /** The URL as it appears in the text (http or https). */
  url: Type.String({
    minLength: 8,
    maxLength: LINK_PREVIEW_LIMITS.url,
    pattern: "^[hH][tT][tT][pP][sS]?://[^\\u0000-\\u0020\\u007f-\\u009f]+$",
    description: "an http(s) URL without spaces or control characters",
  }),
  title: Type.Optional(line(LINK_PREVIEW_LIMITS.title, "og:title, else the page's <title>")),
  description: Type.Optional(line(LINK_PREVIEW_LIMITS.description, "og:description or meta description")),
  siteName: Type.Optional(line(LINK_PREVIEW_LIMITS.siteName, "og:site_name")),
});
export type LinkPreview = Static<typeof LinkPreview>;
