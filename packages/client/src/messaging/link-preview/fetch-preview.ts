import type { LinkPreview } from "@volly/protocol";
import { previewFromHtml } from "./preview-html.js";

/** Bounds of one preview fetch. */
export interface PreviewFetchLimits {
  /** The whole fetch — redirects and body included — gives up after this many ms. */
  timeoutMs: number;
  /** Bytes of the page read at most (the head, where the tags are, comes first). */
  maxBytes: number;
  /** Redirects followed at most. */
  maxRedirects: number;
}

/** The defaults: 5 s, 512 KiB, 3 redirects. */
export const PREVIEW_FETCH_LIMITS: PreviewFetchLimits = {
  timeoutMs: 5_000,
  maxBytes: 512 * 1024,
  maxRedirects: 3,
};

/**
 * Fetches `url` and makes its {@link LinkPreview} (`previewFromHtml`), or resolves undefined — it
 * never throws — when the page does not answer 2xx `text/html` within the limits: a timeout, too
 * many redirects, a redirect to anything but http(s), a network error, or (in browsers, mostly) a
 * CORS refusal or an opaque redirect. No cookies and no referrer are sent. Only the first
 * `maxBytes` of the body are read.
 *
 * @param url an http(s) URL
 * @param limits timeout, size cap and redirect bound (default {@link PREVIEW_FETCH_LIMITS})
 */
export async function fetchLinkPreview(
  url: string,
  limits: PreviewFetchLimits = PREVIEW_FETCH_LIMITS,
): Promise<LinkPreview | undefined> {
  const signal = AbortSignal.timeout(limits.timeoutMs);
  try {
    let target = new URL(url);
    for (let redirects = 0; ; redirects++) {
      if (target.protocol !== "http:" && target.protocol !== "https:") return undefined;
      const response = await fetch(target.href, {
        redirect: "manual",
        signal,
        credentials: "omit",
        referrerPolicy: "no-referrer",
        headers: { accept: "text/html" },
      });
      const location = response.headers.get("location");
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel();
        if (redirects >= limits.maxRedirects) return undefined;
        target = new URL(location, target);
        continue;
      }
      const type = response.headers.get("content-type") ?? "";
      if (!response.ok || !/^\s*text\/html\s*(;|$)/i.test(type)) {
        await response.body?.cancel();
        return undefined;
      }
      return previewFromHtml(await readCapped(response, limits.maxBytes, charsetOf(type)), url);
    }
  } catch {
    return undefined;
  }
}

/** The charset a Content-Type names, else utf-8. */
function charsetOf(contentType: string): string {
  return /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType)?.[1] ?? "utf-8";
}

/** The body's first `maxBytes` bytes decoded (the rest is not read). */
async function readCapped(response: Response, maxBytes: number, charset: string): Promise<string> {
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(charset);
  } catch {
    decoder = new TextDecoder("utf-8");
  }
  const reader = response.body?.getReader();
  if (!reader) return "";
  let text = "";
  let read = 0;
  while (read < maxBytes) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    const chunk = value.subarray(0, maxBytes - read);
    read += chunk.byteLength;
    text += decoder.decode(chunk, { stream: true });
  }
  await reader.cancel();
  return text + decoder.decode();
}
