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
  messageWithText,
  onboard,
  openConversation,
  watchErrors,
} from "./helpers/web-app.js";

const WEB_INDEX = resolve(import.meta.dirname, "../../packages/web/dist/index.html");
/** More than two pages of the 200 messages a chat loads at a time. */
const COUNT = 450;
/** Far fewer rows than messages: the timeline is virtualized. */
const MAX_ROWS = 120;

/** The text of bob's message number `n` (1: the oldest). */
function line(n: number): string {
  return `Line ${String(n).padStart(3, "0")} of the long story`;
}

/**
 * A long conversation in the web app (the virtualized timeline): a real `volly serve` process,
 * Chromium for alice and a Node SDK device for bob, who sends her 450 messages in one go. Alice
 * opens the chat at the newest message with only a screenful of rows in the DOM; a reply's quote
 * jumps to a message far up that was not rendered; scrolling up loads older messages without
 * moving what she looks at, until she reaches bob's first message.
 */
describe.skipIf(!browserTestsEnabled())("web app: a long conversation in Chromium", () => {
  let server: ServerProcess;
  let browser: Browser;
  let page: Page;
  let bob: VollyClient | undefined;
  const errors: string[] = [];

  beforeAll(async () => {
    expect(existsSync(WEB_INDEX), "packages/web/dist is missing: run `npm run build`").toBe(true);
    server = await startServerProcess();
    browser = await launchChromium();
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== "fail" || !page || page.isClosed()) return;
    const path = join(tmpdir(), "volly-e2e-long-history-failure.png");
    await page.screenshot({ path }).catch(() => undefined);
    console.error(`${ctx.task.name}: alice's screen is in ${path}`);
  });

  afterAll(async () => {
    await bob?.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
  });

  /** How many message rows the DOM holds. */
  function rowCount(): Promise<number> {
    return page.getByTestId("message").count();
  }

  /** The top of a message's row relative to the top of the list, px (undefined: not in the DOM). */
  function topOf(text: string): Promise<number | undefined> {
    return page.evaluate((t) => {
      const scroller = document.querySelector("[data-testid=messages]");
      const row = [...document.querySelectorAll("[data-testid=message]")].find((r) =>
        r.textContent?.includes(t),
      );
      if (!scroller || !row) return undefined;
      return row.getBoundingClientRect().top - scroller.getBoundingClientRect().top;
    }, text);
  }

  /**
   * Waits until the timeline has not scrolled or changed height for 250 ms (measured in the page, over
   * animation frames). A jump (virtua's `scrollToIndex`) keeps scrolling back to its target while
   * rows around it are measured, until 150 ms after the last measurement: a scroll made before then
   * is undone (virtua issue #595), so the next step waits for the jump to be over.
   */
  async function scrollSettled(): Promise<void> {
    const settled = await page.getByTestId("messages").evaluate(async (el) => {
      const start = performance.now();
      let last = "";
      let since = start;
      while (performance.now() - start < 20_000) {
        await new Promise((r) => requestAnimationFrame(r));
        const now = `${el.scrollTop}/${el.scrollHeight}`;
        if (now !== last) {
          last = now;
          since = performance.now();
        } else if (performance.now() - since >= 250) return true;
      }
      return false;
    });
    expect(settled, "the timeline kept scrolling or resizing for 20 s").toBe(true);
  }

  it("shows a screenful of rows, jumps to an unrendered message and scrolls back to the first one", async () => {
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

    bob = await initNodeProfile(
      join(tempDir(), "bob"),
      {
        serverUrl: server.url,
        handle: "bob.stone",
        displayName: "Bob Stone",
        pin: "123456",
        kdf: { memoryKiB: 1024, iterations: 1 },
      },
      { initialBackoffMs: 50, maxBackoffMs: 300 },
    );
    await bob.connect();
    const withAlice = await bob.resolveConversation(`@${aliceHandle}`);
    // all queued at once: the SDK sends a conversation's texts in call order
    const sent = await Promise.all(
      Array.from({ length: COUNT }, (_, i) => bob?.messaging.send(withAlice.id, line(i + 1))),
    );
    // the newest replies to one in the middle of the newest 200 (loaded, but not rendered at the bottom)
    const quotedText = line(COUNT - 100);
    const quoted = sent[COUNT - 101];
    expect(quoted?.body).toMatchObject({ type: "text", text: quotedText });
    await bob.messaging.send(withAlice.id, "Remember what I said back then?", { replyTo: quoted?.id });
    await conversationItem(page, "Bob Stone")
      .filter({ hasText: "Remember what I said" })
      .waitFor({ timeout: 240_000 });
    await openConversation(page, "Bob Stone");

    // opened at the newest message, with a screenful of rows in the DOM
    const newest = messageWithText(page, "Remember what I said back then?");
    await newest.waitFor({ timeout: 30_000 });
    await expect.poll(() => newest.isVisible(), { timeout: 20_000 }).toBe(true);
    expect(await rowCount()).toBeLessThan(MAX_ROWS);
    const original = page.locator(`[data-testid=message][data-id="${quoted?.id}"]`);
    expect(await original.count()).toBe(0);

    // the quote jumps to its original, rendered for it: scrolled to, focused, highlighted
    await newest.getByTestId("reply-quote").click();
    await expect
      .poll(
        () =>
          original
            .evaluate((el) => el === document.activeElement && el.classList.contains("highlight"))
            .catch(() => false),
        { timeout: 20_000, interval: 50 },
      )
      .toBe(true);
    expect(await original.isVisible()).toBe(true);

    // scrolling up to the top of the newest 200 loads older ones without moving what alice sees
    const scroller = page.getByTestId("messages");
    await scrollSettled();
    const oldestLoaded = line(COUNT - 199);
    await scroller.evaluate((el) => el.scrollTo({ top: 0 }));
    await expect.poll(() => topOf(oldestLoaded), { timeout: 20_000 }).toBeGreaterThan(0);
    const before = await topOf(oldestLoaded);
    // older messages appear above it (loaded, rendered just above the viewport) while it stays put
    await expect.poll(() => messageWithText(page, line(COUNT - 200)).count(), { timeout: 60_000 }).toBe(1);
    const after = await topOf(oldestLoaded);
    expect(Math.abs((after ?? 0) - (before ?? 0)), `moved from ${before} to ${after}`).toBeLessThan(40);

    // on up to bob's very first message, with the mouse wheel
    const box = await scroller.boundingBox();
    await page.mouse.move((box?.x ?? 0) + (box?.width ?? 0) / 2, (box?.y ?? 0) + (box?.height ?? 0) / 2);
    const first = messageWithText(page, line(1));
    await expect
      .poll(
        async () => {
          await page.mouse.wheel(0, -4_000);
          return first.isVisible();
        },
        { timeout: 120_000 },
      )
      .toBe(true);
    expect(await rowCount()).toBeLessThan(MAX_ROWS);
    expect(await messageWithText(page, "Remember what I said back then?").count()).toBe(0);
    expect(errors).toEqual([]);
  }, 420_000);
});
