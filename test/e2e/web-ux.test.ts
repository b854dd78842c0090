import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { VollyClient } from "@volly/client";
import { initNodeProfile } from "@volly/client/node";
import type { Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type ServerProcess, startServerProcess, tempDir } from "../integration/helpers/server-process.js";
import { browserTestsEnabled, launchChromium } from "./helpers/chromium.js";
import { type WebUser, watchErrors } from "./helpers/web-app.js";

const WEB_INDEX = resolve(import.meta.dirname, "../../packages/web/dist/index.html");

/**
 * What a new user meets in the web app beyond the happy path: long names at the largest text size,
 * a phone-sized screen, a long scrolled history, a lost connection, onboarding's handle check and
 * removing someone from a group. One real `volly serve` child process, Debian's Chromium for alice,
 * and real SDK devices (Node) for bob and carol.
 */
describe.skipIf(!browserTestsEnabled())("web app UX in Chromium", () => {
  let server: ServerProcess;
  let browser: Browser;
  let alice: WebUser;
  const errors: string[] = [];
  const peers: Record<string, VollyClient> = {};

  /** A real SDK device (Node) with a quick KDF that reconnects fast after a server restart. */
  async function nodePeer(handle: string, displayName: string): Promise<VollyClient> {
    const client = await initNodeProfile(
      join(tempDir(), handle),
      { serverUrl: server.url, handle, displayName, pin: "123456", kdf: { memoryKiB: 1024, iterations: 1 } },
      { initialBackoffMs: 50, maxBackoffMs: 300 },
    );
    await client.connect();
    return client;
  }

  beforeAll(async () => {
    expect(existsSync(WEB_INDEX), "packages/web/dist is missing: run `npm run build`").toBe(true);
    server = await startServerProcess();
    browser = await launchChromium();
    peers.bob = await nodePeer("bob.stone", "Bob Stone");
    peers.carol = await nodePeer("carol.reyes", "Carol Reyes");
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== "fail" || !alice || alice.page.isClosed()) return;
    const path = join(tmpdir(), "volly-e2e-ux-alice-failure.png");
    await alice.page.screenshot({ path }).catch(() => undefined);
    console.error(`${ctx.task.name}: alice's screen is in ${path}`);
  });

  afterAll(async () => {
    for (const peer of Object.values(peers)) await peer.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
  });

  it("onboarding: checking a free and a taken handle logs no error in the browser console", async () => {
    const context = await browser.newContext({ viewport: { width: 1180, height: 760 }, locale: "en-GB" });
    const page = await context.newPage();
    alice = { context, page, name: "Alice Liddell", handle: "", pin: "135790" };
    watchErrors(page, errors);
    // every console error and every failed request, 404s included (watchErrors lets 404s through)
    const consoleErrors: string[] = [];
    const failedRequests: string[] = [];
    page.on("console", (msg) => {
      if (msg.type() === "error") consoleErrors.push(msg.text());
    });
    page.on("response", (res) => {
      if (res.status() >= 400) failedRequests.push(`${res.status()} ${res.url()}`);
    });
    await page.goto(server.url);
    await page.getByLabel("Your name").fill(alice.name);
    const handle = page.getByLabel("Handle");
    const hint = page.locator("#handle-hint");
    await expect.poll(() => handle.inputValue()).toBe("alice.liddell");
    await expect.poll(() => hint.textContent(), { timeout: 15_000 }).toContain("Available.");
    // bob.stone is taken (bob registered from his SDK device)
    await handle.fill("bob.stone");
    await expect.poll(() => hint.textContent(), { timeout: 15_000 }).toContain("That handle is taken");
    await handle.fill("alice.liddell");
    await expect.poll(() => hint.textContent(), { timeout: 15_000 }).toContain("Available.");
    await page.getByLabel("Choose a 6-digit PIN").fill(alice.pin);
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("button", { name: "Invite someone" }).first().waitFor({ timeout: 30_000 });
    alice.handle = "alice.liddell";
    expect(consoleErrors).toEqual([]);
    expect(failedRequests).toEqual([]);
  });

  it("no page errors", () => {
    expect(errors).toEqual([]);
  });
});
