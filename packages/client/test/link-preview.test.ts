import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { LINK_PREVIEW_LIMITS } from "@volly/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchLinkPreview } from "../src/messaging/link-preview/fetch-preview.js";
import { firstHttpUrl } from "../src/messaging/link-preview/first-link.js";
import { oneLine, previewFromHtml } from "../src/messaging/link-preview/preview-html.js";

describe("firstHttpUrl", () => {
  it("finds the first http(s) URL without trailing punctuation or Markdown markers", () => {
    expect(firstHttpUrl("see https://example.org/a?b=1, then http://x.y")).toBe("https://example.org/a?b=1");
    expect(firstHttpUrl("[site](https://example.org/x)")).toBe("https://example.org/x");
    expect(firstHttpUrl("**https://example.org/**")).toBe("https://example.org/");
    expect(firstHttpUrl("mailto:a@b.c javascript:alert(1) ftp://x.y")).toBeUndefined();
  });

  it("makes no preview for a text with a spoiler (the card would give it away)", () => {
    expect(firstHttpUrl("||https://example.org/secret||")).toBeUndefined();
  });
});

describe("previewFromHtml", () => {
  it("prefers Open Graph tags, falls back to <title> and meta description", () => {
    expect(
      previewFromHtml(
        '<title>T</title><meta name="description" content="D"><meta property="og:site_name" content="S">',
        "https://x.y/",
      ),
    ).toEqual({ url: "https://x.y/", title: "T", description: "D", siteName: "S" });
    expect(
      previewFromHtml('<title>T</title><meta property="og:title" content="OG &lt;b&gt;">', "https://x.y/"),
    ).toEqual({ url: "https://x.y/", title: "OG <b>" });
  });

  it("gives nothing for a page with neither title nor description", () => {
    expect(
      previewFromHtml('<meta property="og:site_name" content="S"><p>hi</p>', "https://x.y/"),
    ).toBeUndefined();
  });

  it("cuts long fields and removes control characters and line breaks", () => {
    const long = "ab".repeat(2000);
    const preview = previewFromHtml(
      `<meta property="og:title" content="${long}"><meta property="og:description" content="a\u0007b\n\nc">`,
      "https://x.y/",
    );
    expect(preview?.title?.length).toBe(LINK_PREVIEW_LIMITS.title);
    expect(preview?.title?.endsWith("…")).toBe(true);
    expect(preview?.description).toBe("a b c");
    expect(oneLine("😀😀", 2)).toBe("…");
  });

  it("refuses a URL that is no http(s) URL", () => {
    expect(previewFromHtml("<title>T</title>", "javascript:alert(1)")).toBeUndefined();
  });
});

describe("fetchLinkPreview against a local HTTP server", () => {
  let server: Server;
  let base: string;
  const hung: ServerResponse[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = req.url ?? "/";
      if (path === "/page") {
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end("<title>Page</title>");
      } else if (path === "/latin1") {
        res.writeHead(200, { "content-type": "text/html; charset=iso-8859-1" });
        res.end(Buffer.from("<title>Caf\xe9</title>", "latin1"));
      } else if (path.startsWith("/hop/")) {
        const n = Number(path.slice(5));
        res.writeHead(302, { location: n > 0 ? `/hop/${n - 1}` : "/page" }).end();
      } else if (path === "/to-js") {
        res.writeHead(302, { location: "javascript:alert(1)" }).end();
      } else if (path === "/json") {
        res.writeHead(200, { "content-type": "application/json" }).end('{"title":"x"}');
      } else if (path === "/missing") {
        res.writeHead(404, { "content-type": "text/html" }).end("<title>Not found</title>");
      } else if (path === "/endless") {
        // Never ends: only the size cap stops the read (the tags come after it).
        res.writeHead(200, { "content-type": "text/html" });
        const chunk = `<p>${"x".repeat(16 * 1024)}</p>`;
        const pump = () => {
          while (res.write(chunk)) {}
        };
        res.on("drain", pump);
        pump();
        hung.push(res);
      } else if (path === "/hang") {
        hung.push(res);
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const res of hung) res.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const limits = { timeoutMs: 5_000, maxBytes: 64 * 1024, maxRedirects: 3 };

  it("reads the title of an HTML page, in its charset", async () => {
    expect(await fetchLinkPreview(`${base}/page`, limits)).toEqual({ url: `${base}/page`, title: "Page" });
    expect((await fetchLinkPreview(`${base}/latin1`, limits))?.title).toBe("Café");
  });

  it("follows up to maxRedirects redirects, to http(s) only", async () => {
    expect((await fetchLinkPreview(`${base}/hop/2`, limits))?.title).toBe("Page");
    expect(await fetchLinkPreview(`${base}/hop/3`, limits)).toBeUndefined();
    expect(await fetchLinkPreview(`${base}/to-js`, limits)).toBeUndefined();
  });

  it("gives nothing for non-HTML, an error status, an unreachable host or a page that never answers", async () => {
    expect(await fetchLinkPreview(`${base}/json`, limits)).toBeUndefined();
    expect(await fetchLinkPreview(`${base}/missing`, limits)).toBeUndefined();
    expect(await fetchLinkPreview("http://127.0.0.1:9/", limits)).toBeUndefined();
    expect(await fetchLinkPreview(`${base}/hang`, { ...limits, timeoutMs: 300 })).toBeUndefined();
  });

  it("stops reading at the size cap", async () => {
    expect(await fetchLinkPreview(`${base}/endless`, limits)).toBeUndefined();
  });
});
