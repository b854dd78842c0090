import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { messageText, type VollyClient } from "@volly/client";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../../../test/helpers/temp-dir.js";
import { waitFor } from "../../../test/helpers/wait-for.js";
import { browserSuite, builtFile, CHROMIUM, chromiumPrerequisite } from "./browser-prerequisites.js";
import { connectedClients, type TestServer, testServer } from "./helpers.js";

const BROWSER_ENTRY = resolve(import.meta.dirname, "../dist/browser.js");
/** The version-0 store writer (test/fixtures) bundled with the browser entry. */
const LEGACY_ENTRY = resolve(import.meta.dirname, "fixtures/legacy-browser-entry.ts");
/** The bundler vite uses (installed with the web app's tooling). */
const bundler = await import("rolldown").catch(() => undefined);
/** Skipped with a note when something is missing; under CI=true it fails instead, saying what to install. */
const setup = browserSuite("the SDK's browser tests", [
  chromiumPrerequisite(),
  builtFile(BROWSER_ENTRY),
  {
    present: bundler !== undefined,
    what: "the bundler rolldown",
    fix: "run `npm install` (it comes with vite, a devDependency of packages/web)",
  },
]);

/**
 * The SDK's browser entry point bundled (as a web app would) and run in Chromium against a real
 * server: IndexedDB store, the browser WebSocket, WebCrypto/WASM crypto. The page is served from
 * another origin than the API, and the server sends no CORS headers, so the browser runs with web
 * security off — the one liberty taken here.
 */
describe.skipIf(setup.skip)("the SDK in a browser (Chromium)", () => {
  let server: TestServer;
  let pageServer: Server;
  let origin: string;
  let browser: Browser;
  let page: Page;
  let node: VollyClient | undefined;

  beforeAll(async () => {
    if (setup.failure) throw new Error(setup.failure);
    const bundle = async (input: string) => {
      const built = await bundler!.rolldown({ input, platform: "browser", logLevel: "silent" });
      const { output } = await built.generate({ format: "esm", codeSplitting: false });
      return output[0]?.type === "chunk" ? output[0].code : "";
    };
    const scripts: Record<string, string> = {
      "/sdk.js": await bundle(BROWSER_ENTRY),
      "/legacy.js": await bundle(LEGACY_ENTRY),
    };
    pageServer = createServer((req, res) => {
      const script = scripts[req.url ?? ""];
      if (script !== undefined) res.writeHead(200, { "content-type": "text/javascript" }).end(script);
      else res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>sdk</title>");
    });
    await new Promise<void>((r) => pageServer.listen(0, "127.0.0.1", r));
    origin = `http://127.0.0.1:${(pageServer.address() as AddressInfo).port}`;
    // The page's origin is not the server's: the gateway admits it only when configured to.
    server = await testServer({ allowedOrigins: [origin] });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-web-security"],
    });
    page = await browser.newPage();
    await page.goto(`${origin}/`);
    await page.evaluate(`import("/sdk.js").then((m) => { window.sdk = m; })`);
  });
  afterAll(async () => {
    await node?.close().catch(() => undefined);
    await browser?.close();
    if (pageServer) await new Promise((r) => pageServer.close(r));
    await server?.stop();
  });

  /** Runs an async function body in the page (a string, so no transform touches it). */
  const inPage = <T>(body: string): Promise<T> => page.evaluate(`(async () => { ${body} })()`) as Promise<T>;

  it("creates a profile in IndexedDB, talks with a Node client, and reopens it with the PIN", async () => {
    expect(await inPage<boolean>("return await window.sdk.hasBrowserProfile();")).toBe(false);
    const created = await inPage<{ handle: string; displayName: string }>(`
      const c = await window.sdk.createBrowserProfile(
        { serverUrl: ${JSON.stringify(server.url)}, handle: "webby", pin: "123456",
          kdf: { memoryKiB: 1024, iterations: 1 }, displayName: "Web Browser" },
        { initialBackoffMs: 50, maxBackoffMs: 300 });
      await c.connect();
      window.c = c;
      return { handle: c.profile.handle, displayName: c.profile.displayName };`);
    expect(created).toEqual({ handle: "webby", displayName: "Web Browser" });

    [node] = await connectedClients(server, tempDir(), ["nodey"]);
    const conv = await node!.resolveConversation("@webby");
    expect(conv.title).toBe("Web Browser");
    await node!.messaging.send(conv.id, "hello browser");
    const id = JSON.stringify(conv.id);
    await waitFor(
      async () => (await inPage<number>(`return (await window.c.messaging.history(${id})).length;`)) === 1,
      { message: "the browser receives" },
    );
    await inPage(
      `await window.c.messaging.enqueue(${id}, "hello node"); await window.c.messaging.markRead(${id});`,
    );
    await waitFor(
      async () => (await node!.messaging.history(conv.id)).some((m) => messageText(m) === "hello node"),
      { message: "node receives" },
    );
    const mine = (await node!.messaging.history(conv.id)).find((m) => messageText(m) === "hello browser");
    await waitFor(
      async () => (await node!.messaging.history(conv.id)).find((m) => m.id === mine?.id)?.status === "read",
      { message: "read receipt from the browser" },
    );

    const reopened = await inPage<{ exists: boolean; wrong: string; texts: string[] }>(`
      await window.c.close();
      const exists = await window.sdk.hasBrowserProfile();
      const wrong = await window.sdk.openBrowserClient("000000").then(() => "opened", (e) => e.code);
      const again = await window.sdk.openBrowserClient("123456");
      const texts = (await again.messaging.history(${id})).map((m) => m.body.text);
      await again.close();
      return { exists, wrong, texts };`);
    expect(reopened).toEqual({
      exists: true,
      wrong: "VOLLY_E_WRONG_PIN",
      texts: ["hello browser", "hello node"],
    });
  });

  it("migrates an IndexedDB profile written by an older release (messages with `text`) when it is unlocked", async () => {
    const got = await inPage<{ texts: string[]; bodies: unknown[]; ids: string[]; withText: boolean }>(`
      const legacy = await import("/legacy.js");
      const store = await legacy.IndexedDbClientStore.open("volly-legacy");
      const written = await legacy.writeLegacyProfile(store);
      await store.close();
      const c = await legacy.openBrowserClient(written.pin, { dbName: "volly-legacy" });
      const history = await c.messaging.history(written.conversationId);
      await c.close();
      return {
        texts: written.texts,
        bodies: history.map((m) => m.body),
        ids: history.map((m) => m.id).join() === written.messageIds.join() ? ["same order"] : ["reordered"],
        withText: history.some((m) => "text" in m),
      };`);
    expect(got.bodies).toEqual(got.texts.map((text) => ({ type: "text", text })));
    expect(got.ids).toEqual(["same order"]);
    expect(got.withText).toBe(false);
  });
});
