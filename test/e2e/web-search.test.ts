import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { VollyClient } from "@volly/client";
import { initNodeProfile } from "@volly/client/node";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { type ServerProcess, startServerProcess } from "../integration/helpers/server-process.js";
import { browserTestsEnabled, launchChromium } from "./helpers/chromium.js";
import {
  conversationItem,
  expectAccessible,
  onboard,
  openConversation,
  screenshot,
  watchErrors,
} from "./helpers/web-app.js";

const WEB_INDEX = resolve(import.meta.dirname, "../../packages/web/dist/index.html");
/** More than the 200 messages a chat loads first: the oldest hit needs older messages loaded. */
const FILLER = 230;

/**
 * Message search in the web app end to end (issue 13): a real `volly serve` process, Chromium for
 * alice, and two Node SDK devices (bob and carol) who write to her. Alice opens the search with
 * Ctrl+K and "/", finds messages as she types (highlighted words, conversation, sender, time),
 * narrows them with typed operators and with the filter form, and opens a hit by keyboard: the
 * conversation opens scrolled to the message — older than what the chat loads first — focused
 * and highlighted.
 */
describe.skipIf(!browserTestsEnabled())("web app: message search in Chromium", () => {
  let server: ServerProcess;
  let browser: Browser;
  let page: Page;
  const peers: VollyClient[] = [];
  const errors: string[] = [];

  async function peer(handle: string, displayName: string): Promise<VollyClient> {
    const client = await initNodeProfile(
      join(tempDir(), handle),
      { serverUrl: server.url, handle, displayName, pin: "123456", kdf: { memoryKiB: 1024, iterations: 1 } },
      { initialBackoffMs: 50, maxBackoffMs: 300 },
    );
    peers.push(client);
    await client.connect();
    return client;
  }

  beforeAll(async () => {
    expect(existsSync(WEB_INDEX), "packages/web/dist is missing: run `npm run build`").toBe(true);
    server = await startServerProcess();
    browser = await launchChromium();
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== "fail" || !page || page.isClosed()) return;
    const path = join(tmpdir(), "volly-e2e-search-failure.png");
    await page.screenshot({ path }).catch(() => undefined);
    console.error(`${ctx.task.name}: alice's screen is in ${path}`);
  });

  afterAll(async () => {
    for (const p of peers) await p.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
  });

  it("searches as alice types, filters, and jumps to an old message in context", async () => {
    const context = await browser.newContext({
      viewport: { width: 1180, height: 760 },
      locale: "en-GB",
      reducedMotion: "reduce",
    });
    page = await context.newPage();
    watchErrors(page, errors);
    await page.goto(server.url);
    await page.getByLabel("Your name").waitFor();
    const aliceHandle = await onboard(page, "Alice Liddell", "135790");

    const bob = await peer("bob.stone", "Bob Stone");
    const carol = await peer("carol.diaz", "Carol Diaz");
    const withBob = await bob.resolveConversation(`@${aliceHandle}`);
    const withCarol = await carol.resolveConversation(`@${aliceHandle}`);
    const map = await bob.messaging.send(withBob.id, "The treasure map is at https://maps.example/cove");
    for (let i = 1; i <= FILLER; i++) await bob.messaging.send(withBob.id, `filler ${i}`);
    await bob.messaging.send(withBob.id, "Bring the treasure chest key");
    await carol.messaging.send(withCarol.id, "Treasure hunt in the park on Sunday?");
    await conversationItem(page, "Carol Diaz")
      .filter({ hasText: "Treasure hunt" })
      .waitFor({ timeout: 60_000 });
    await conversationItem(page, "Bob Stone")
      .filter({ hasText: "treasure chest" })
      .waitFor({ timeout: 120_000 });
    await openConversation(page, "Carol Diaz");

    // Ctrl+K opens the search with the focus in its box; the hits come as alice types
    await page.getByTestId("messages").focus();
    await page.keyboard.press("Control+k");
    const dialog = page.getByRole("dialog", { name: "Search messages" });
    await dialog.waitFor();
    const box = page.getByRole("searchbox", { name: "Search messages" });
    expect(await box.evaluate((el) => el === document.activeElement)).toBe(true);
    await box.pressSequentially("treas");
    const results = page.getByTestId("search-result");
    const status = page.getByTestId("search-status");
    await expect.poll(() => status.textContent(), { timeout: 20_000 }).toBe("3 messages found.");
    // newest first; conversation, sender, time and the matched word marked
    expect(await results.locator("mark").allTextContents()).toEqual(["Treasure", "treasure", "treasure"]);
    const oldest = results.nth(2);
    expect(await oldest.locator(".where").textContent()).toBe("Bob Stone");
    expect(await oldest.locator(".who").textContent()).toBe("Bob Stone");
    expect(await oldest.locator("time").getAttribute("datetime")).toBe(new Date(map.sentAt).toISOString());
    await expectAccessible(page, "search");
    await screenshot(page, "search");

    // typed operators narrow the hits; so does the filter form
    await box.fill("treasure has:link");
    await expect.poll(() => status.textContent(), { timeout: 20_000 }).toBe("1 message found.");
    await box.fill(`treasure from:@${carol.profile.handle}`);
    await expect
      .poll(() => results.allTextContents(), { timeout: 20_000 })
      .toEqual([expect.stringContaining("Treasure hunt in the park")]);
    await box.fill("treasure");
    await page.locator("summary", { hasText: "Filters" }).click();
    await page.getByLabel("Conversation", { exact: true }).selectOption({ label: "Bob Stone" });
    await expect.poll(() => status.textContent(), { timeout: 20_000 }).toBe("2 messages found.");
    await page.getByLabel("Has a link", { exact: true }).check();
    await expect.poll(() => status.textContent(), { timeout: 20_000 }).toBe("1 message found.");
    await page.getByLabel("To date", { exact: true }).fill("2000-01-01");
    await expect.poll(() => status.textContent(), { timeout: 20_000 }).toBe("No messages found.");
    await page.getByRole("button", { name: "Clear filters" }).click();
    await expect.poll(() => status.textContent(), { timeout: 20_000 }).toBe("3 messages found.");

    // by keyboard: down arrow to the hits, Enter opens the oldest in its conversation
    await box.focus();
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowDown");
    expect(await oldest.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.press("Enter");
    await dialog.waitFor({ state: "detached" });
    await expect
      .poll(() => page.getByTestId("chat-title").textContent(), { timeout: 20_000 })
      .toBe("Bob Stone");
    const row = page.locator(`[data-testid=message][data-id="${map.id}"]`);
    await row.waitFor({ timeout: 20_000 });
    // focused and highlighted (for 2.5 s) once it is scrolled to
    await expect
      .poll(() => row.evaluate((el) => el === document.activeElement && el.classList.contains("highlight")), {
        timeout: 20_000,
        interval: 50,
      })
      .toBe(true);
    expect(await row.isVisible()).toBe(true);
    // older messages were loaded to reach it (the chat loads the newest 200 first); the timeline is
    // virtualized, so only the rows around it are in the DOM
    expect(await page.getByTestId("message").count()).toBeLessThan(FILLER);

    // "/" opens the search too (not while typing in the composer)
    await page.getByTestId("composer").focus();
    await page.keyboard.press("/");
    expect(await dialog.count()).toBe(0);
    await page.getByTestId("messages").focus();
    await page.keyboard.press("/");
    await dialog.waitFor();
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    expect(errors).toEqual([]);
  }, 300_000);
});
