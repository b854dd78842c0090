import { LINK_PREVIEW_LIMITS, LinkPreview, matches } from "@volly/protocol";
import { Parser } from "htmlparser2";

/**
 * The preview of a page from its HTML (the start of it is enough): `og:title` (else `<title>`),
 * `og:description` (else `<meta name="description">`) and `og:site_name`, each as one line
 * (whitespace collapsed, control characters dropped) cut to {@link LINK_PREVIEW_LIMITS}. Undefined
 * when the page has neither a title nor a description, or `url` is no valid preview URL.
 * Entities are decoded by htmlparser2; the result is only ever shown as text.
 *
 * @param html the page's HTML (possibly cut off)
 * @param url the link as written in the message (http or https)
 */
export function previewFromHtml(html: string, url: string): LinkPreview | undefined {
  const meta = new Map<string, string>();
  let title = "";
  let inTitle = false;
  let titleSeen = false;
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        if (name === "title" && !titleSeen) inTitle = true;
        if (name !== "meta") return;
        const key = (attrs.property ?? attrs.name ?? "").trim().toLowerCase();
        if (key && attrs.content !== undefined && !meta.has(key)) meta.set(key, attrs.content);
      },
      ontext(text) {
        if (inTitle) title += text;
      },
      onclosetag(name) {
        if (name === "title" && inTitle) {
          inTitle = false;
          titleSeen = true;
        }
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();
  const fields = {
    title: oneLine(meta.get("og:title") ?? title, LINK_PREVIEW_LIMITS.title),
    description: oneLine(
      meta.get("og:description") ?? meta.get("description") ?? "",
      LINK_PREVIEW_LIMITS.description,
    ),
    siteName: oneLine(meta.get("og:site_name") ?? "", LINK_PREVIEW_LIMITS.siteName),
  };
  if (!fields.title && !fields.description) return undefined;
  const preview = Object.fromEntries(
    Object.entries({ url, ...fields }).filter(([, v]) => v !== ""),
  ) as LinkPreview;
  return matches(LinkPreview, preview) ? preview : undefined;
}

/**
 * `text` as one line: control characters (C0, DEL, C1) and runs of whitespace become one space,
 * trimmed, cut to `max` UTF-16 code units (an ellipsis marks a cut; a surrogate pair is never split).
 */
export function oneLine(text: string, max: number): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  const flat = text.replace(/[\s\u0000-\u001f\u007f-\u009f]+/g, " ").trim();
  if (flat.length <= max) return flat;
  let cut = flat.slice(0, max - 1);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut.trimEnd()}…`;
}
