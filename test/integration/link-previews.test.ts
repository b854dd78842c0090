import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { messageText, type VollyClient } from "@volly/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { collect, newClient } from "./helpers/sdk.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

const PAGE = `<!doctype html><html><head>
<title>Fallback title</title>
<meta property="og:title" content="The &amp; Page">
<meta property="og:description" content="What the page
  is about.">
<meta property="og:site_name" content="Example Site">
<meta property="og:image" content="/image.png">
</head><body><p>Hello</p></body></html>`;

/**
 * Link previews end to end (issue 13): a real `volly serve` process, two Node SDK devices, and a
 * local HTTP server on 127.0.0.1 that counts the requests for its page. With previews on, the
 * sender's device fetches the page once and the receiver gets the preview inside the encrypted
 * message without fetching anything; with previews off (the default) nobody fetches.
 */
describe("link previews (sender-side, off by default)", () => {
  let server: ServerProcess;
  let site: Server;
  let siteUrl: string;
  const requests: string[] = [];
  let alice: VollyClient;
  let bob: VollyClient;
  let conversationId: string;

  beforeAll(async () => {
    site = createServer((req, res) => {
      requests.push(req.url ?? "");
      if (req.url?.startsWith("/go")) {
        res.writeHead(302, { location: `/page${req.url.slice(3)}` }).end();
        return;
      }
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(PAGE);
    });
    await new Promise<void>((resolve) => site.listen(0, "127.0.0.1", resolve));
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    server = await startServerProcess();
    const home = tempDir();
    alice = await newClient(home, server.url, "alice");
    bob = await newClient(home, server.url, "bob");
    await alice.connect();
    conversationId = (await bob.invites.accept(alice.invites.create().link)).id;
  });

  afterAll(async () => {
    await Promise.all([alice?.close(), bob?.close()]);
    await server?.stop();
    await new Promise((resolve) => site?.close(resolve));
  });

  it("is off by default: the page is never requested and no preview is sent", async () => {
    expect((await bob.settings.get()).linkPreviews).toBe(false);
    expect((await alice.settings.get()).linkPreviews).toBe(false);
    const inbox = collect(alice);
    const text = `look ${siteUrl}/page?off`;
    const sent = await bob.messaging.send(conversationId, text);
    expect(sent.body).toEqual({ type: "text", text });
    await waitFor(() => inbox.length === 1, { message: "alice to receive", timeoutMs: 30_000 });
    expect(inbox[0]?.body).toEqual({ type: "text", text });
    expect(requests).toEqual([]);
  });

  it("when on, only the sender's device fetches (redirect followed) and the receiver shows its preview", async () => {
    await bob.settings.update({ linkPreviews: true });
    // The receiver having previews on too must not make it fetch what it receives.
    await alice.settings.update({ linkPreviews: true });
    const inbox = collect(alice);
    const url = `${siteUrl}/go?on`;
    const text = `**read** ${url}, it's good`;
    const sent = await bob.messaging.send(conversationId, text);
    const preview = {
      url,
      title: "The & Page",
      description: "What the page is about.",
      siteName: "Example Site",
    };
    expect(sent.body).toEqual({ type: "text", text, preview });
    expect(requests).toEqual(["/go?on", "/page?on"]);
    await waitFor(() => inbox.length === 1, { message: "alice to receive", timeoutMs: 30_000 });
    expect(inbox[0] && messageText(inbox[0])).toBe(text);
    expect(inbox[0]?.body).toEqual({ type: "text", text, preview });
    expect((await alice.messaging.history(conversationId)).at(-1)?.body).toEqual({
      type: "text",
      text,
      preview,
    });
    expect(requests, "the receiver requested nothing").toEqual(["/go?on", "/page?on"]);
  });

  it("sends without a preview when the link is not an HTML page", async () => {
    const inbox = collect(alice);
    const sent = await bob.messaging.send(conversationId, "no page at http://127.0.0.1:9/nothing");
    expect(sent.body).toEqual({ type: "text", text: "no page at http://127.0.0.1:9/nothing" });
    await waitFor(() => inbox.length === 1, { message: "alice to receive", timeoutMs: 30_000 });
    expect(inbox[0]?.body).not.toHaveProperty("preview");
  });
});
