import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import type { VollyClient } from "@volly/client";
import { initNodeProfile } from "@volly/client/node";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { type ServerProcess, startServerProcess } from "../integration/helpers/server-process.js";
import { browserTestsEnabled, launchChromium } from "./helpers/chromium.js";
import {
  closeDialog,
  conversationItem,
  expectAccessible,
  onboard,
  openConversation,
  screenshot,
  watchErrors,
} from "./helpers/web-app.js";

const WEB_INDEX = resolve(import.meta.dirname, "../../packages/web/dist/index.html");

const HOSTILE = [
  "<img src=x onerror=\"window.__pwned='img'\">",
  "[click me](javascript:window.__pwned='link')",
  "<script>window.__pwned='script'</script>",
  "<a href=\"javascript:window.__pwned='a'\">anchor</a>",
].join("\n");

const FORMATTED = [
  "**bold** *italic* ~~struck~~ `inline code` ||the butler|| [docs](https://example.org/docs)",
  "",
  "> quoted line",
  "",
  "```",
  "<b>not bold</b> **not bold**",
  "```",
].join("\n");

/** A message's formatted text in the chat. */
function textOf(page: Page, hasText: string): Locator {
  return page.getByTestId("message").filter({ hasText }).locator(".bubble > .text");
}

/**
 * Formatting and link previews in the web app (issue 13): a real `volly serve` process, Debian's
 * Chromium for alice, and a Node SDK device (erin) that sends her hostile markup, formatted text and
 * a link with a preview. Hostile markup must show as inert text; formatting must render as
 * elements; the preview card must come from the message — the browser never requests the page.
 */
describe.skipIf(!browserTestsEnabled())("web app: formatting and link previews in Chromium", () => {
  let server: ServerProcess;
  let browser: Browser;
  let page: Page;
  let erin: VollyClient | undefined;
  let site: Server;
  let siteUrl = "";
  const siteRequests: string[] = [];
  const errors: string[] = [];
  let conversationId = "";

  beforeAll(async () => {
    expect(existsSync(WEB_INDEX), "packages/web/dist is missing: run `npm run build`").toBe(true);
    site = createServer((req, res) => {
      siteRequests.push(`${req.url} ${req.headers["user-agent"] ?? ""}`);
      res
        .writeHead(200, { "content-type": "text/html" })
        .end(
          '<title>x</title><meta property="og:title" content="Volly &amp; friends"><meta property="og:description" content="<b>Encrypted</b> chat">',
        );
    });
    await new Promise<void>((done) => site.listen(0, "127.0.0.1", done));
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    server = await startServerProcess();
    browser = await launchChromium();
    const context = await browser.newContext({
      viewport: { width: 1180, height: 760 },
      locale: "en-GB",
      reducedMotion: "reduce",
    });
    page = await context.newPage();
    watchErrors(page, errors);
    await page.goto(server.url);
    await page.getByLabel("Your name").waitFor();
    const handle = await onboard(page, "Alice Liddell", "135790");
    erin = await initNodeProfile(
      join(tempDir(), "erin"),
      {
        serverUrl: server.url,
        handle: "erin.park",
        displayName: "Erin Park",
        pin: "123456",
        kdf: { memoryKiB: 1024, iterations: 1 },
      },
      { initialBackoffMs: 50, maxBackoffMs: 300 },
    );
    await erin.connect();
    conversationId = (await erin.resolveConversation(`@${handle}`)).id;
  });

  afterAll(async () => {
    await erin?.close();
    await browser?.close();
    await server?.stop();
    await new Promise((done) => site?.close(done));
  });

  it("hostile markup shows as text and runs nothing", async () => {
    await erin?.messaging.send(conversationId, HOSTILE);
    await conversationItem(page, "Erin Park").waitFor({ timeout: 30_000 });
    await openConversation(page, "Erin Park");
    const text = textOf(page, "click me");
    await text.waitFor({ timeout: 20_000 });
    await expect.poll(() => text.textContent()).toContain("<img src=x onerror=");
    expect(await text.textContent()).toContain("[click me](javascript:window.__pwned='link')");
    expect(await text.textContent()).toContain("<script>window.__pwned='script'</script>");
    expect(await text.locator("img, script, iframe, [onerror]").count()).toBe(0);
    expect(await text.locator("a").count()).toBe(0);
    await text.getByText("click me", { exact: false }).click();
    expect(await page.evaluate(() => (window as { __pwned?: string }).__pwned)).toBeUndefined();
  });

  it("formatted text renders as bold, italic, strikethrough, code, quote, link and an accessible spoiler", async () => {
    await erin?.messaging.send(conversationId, FORMATTED);
    const text = textOf(page, "quoted line");
    await text.waitFor({ timeout: 20_000 });
    await expect.poll(() => text.locator("strong").textContent()).toBe("bold");
    expect(await text.locator("em").textContent()).toBe("italic");
    expect(await text.locator("s").textContent()).toBe("struck");
    expect(await text.locator("p code").textContent()).toBe("inline code");
    expect(await text.locator("blockquote").textContent()).toBe("quoted line");
    expect(await text.locator("pre code").textContent()).toBe("<b>not bold</b> **not bold**");
    expect(await text.locator("pre b").count()).toBe(0);
    const link = text.getByRole("link", { name: "docs" });
    expect(await link.getAttribute("href")).toBe("https://example.org/docs");
    expect(await link.getAttribute("rel")).toBe("noopener noreferrer nofollow");
    expect(await link.getAttribute("target")).toBe("_blank");

    // The spoiler: a button hiding its content from sight and from assistive technology.
    const spoiler = text.getByRole("button", { name: "Spoiler, hidden. Activate to reveal" });
    expect(await spoiler.count()).toBe(1);
    expect(
      await text.getByText("the butler").evaluate((el) => el.closest("[aria-hidden=true]") !== null),
    ).toBe(true);
    await expectAccessible(page, "formatted chat");
    await spoiler.focus();
    await page.keyboard.press("Enter");
    const revealed = text.getByTestId("spoiler");
    await expect.poll(() => revealed.getAttribute("class")).toContain("revealed");
    expect(await revealed.getAttribute("role")).toBeNull();
    expect(
      await text.getByText("the butler").evaluate((el) => el.closest("[aria-hidden=true]") === null),
    ).toBe(true);
  });

  it("link previews: off by default in settings; a preview the sender made shows as a card, and the browser never fetches", async () => {
    await page.getByTestId("open-settings").click();
    const toggle = page.getByRole("switch", { name: "Link previews" });
    await toggle.waitFor();
    expect(await toggle.isChecked()).toBe(false);
    await closeDialog(page);

    await erin?.settings.update({ linkPreviews: true });
    const url = `${siteUrl}/article`;
    await erin?.messaging.send(conversationId, `have a look: ${url}`);
    expect(siteRequests).toHaveLength(1);
    const card = page.getByTestId("message").filter({ hasText: "have a look" }).getByTestId("link-preview");
    await card.waitFor({ timeout: 20_000 });
    expect(await card.getAttribute("href")).toBe(url);
    expect(await card.getAttribute("rel")).toBe("noopener noreferrer nofollow");
    expect(await card.locator(".title").textContent()).toBe("Volly & friends");
    expect(await card.locator(".description").textContent()).toBe("<b>Encrypted</b> chat");
    expect(await card.locator("b, img").count()).toBe(0);
    expect(siteRequests, "only erin's device fetched the page").toHaveLength(1);
    await screenshot(page, "formatting");
    expect(errors).toEqual([]);
  });

  it("the composer: Ctrl+B and Ctrl+I wrap the selection in bold and italic markers", async () => {
    const composer = page.getByTestId("composer");
    await composer.fill("make this bold");
    await composer.evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(10, 14));
    await composer.press("Control+b");
    await expect.poll(() => composer.inputValue()).toBe("make this **bold**");
    await composer.evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(0, 4));
    await composer.press("Control+i");
    await expect.poll(() => composer.inputValue()).toBe("*make* this **bold**");
    await composer.press("Enter");
    const sent = textOf(page, "this");
    await expect.poll(() => sent.locator("strong").textContent(), { timeout: 20_000 }).toBe("bold");
    expect(await sent.locator("em").textContent()).toBe("make");
  });
});
