import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type ServerProcess, startServerProcess } from "../integration/helpers/server-process.js";
import { browserTestsEnabled, launchChromium } from "./helpers/chromium.js";
import {
  closeDialog,
  expectAccessible,
  messageWithText,
  onboard,
  saveFailureScreens,
  screenshot,
  type WebUser,
  watchErrors,
} from "./helpers/web-app.js";

const WEB_INDEX = resolve(import.meta.dirname, "../../packages/web/dist/index.html");

/**
 * Mentions in the web app (issue 13): a real `volly serve` process and Debian's Chromium with one
 * context per person. Ada types `@` in #general of her community, picks Carol from the
 * autocomplete by keyboard and sends; Carol, reading #random, sees an "@1" badge on #general, and
 * there the mention highlighted as a mention of her. The tests run in order.
 */
describe.skipIf(!browserTestsEnabled())("web app: mentions in Chromium", () => {
  let server: ServerProcess;
  let browser: Browser;
  const errors: string[] = [];
  const users: Record<string, WebUser> = {};
  let inviteLink = "";

  const channelItem = (page: Page, name: string) =>
    page.locator(`[data-testid=channel-item][data-name="${name}"]`);

  async function openChannel(page: Page, name: string): Promise<void> {
    await channelItem(page, name).click();
    await expect
      .poll(() => page.getByTestId("chat-title").textContent(), { timeout: 30_000 })
      .toBe(`#${name}`);
  }

  async function newUser(name: string, pin: string, url: string): Promise<WebUser> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-GB" });
    const page = await context.newPage();
    watchErrors(page, errors);
    await page.goto(url);
    await page.getByLabel("Your name").waitFor();
    const user: WebUser = { context, page, name, handle: "", pin };
    user.handle = await onboard(page, name, pin);
    return user;
  }

  beforeAll(async () => {
    expect(existsSync(WEB_INDEX), "packages/web/dist is missing: run `npm run build`").toBe(true);
    server = await startServerProcess();
    browser = await launchChromium();
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== "fail") return;
    await saveFailureScreens(users, "mentions-", ctx.task.name);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("setup: ada creates a community with #random and invites carol, who reads #random", async () => {
    const ada = await newUser("Ada Lovelace", "246810", server.url);
    users.ada = ada;
    const { page } = ada;
    await page.getByRole("button", { name: "Create a community" }).click();
    await page.getByLabel("Community name").fill("Mention Club");
    await page.getByTestId("create-community").click();
    await expect
      .poll(() => page.getByTestId("chat-title").textContent(), { timeout: 30_000 })
      .toBe("#general");
    await page.getByTestId("community-menu").click();
    await page.getByTestId("open-create-channel").click();
    await page.getByLabel("Channel name").fill("random");
    await page.getByTestId("create-channel").click();
    await expect
      .poll(() => page.getByTestId("chat-title").textContent(), { timeout: 30_000 })
      .toBe("#random");
    await page.getByTestId("community-menu").click();
    await page.getByTestId("open-community-invite").click();
    await page.getByTestId("create-community-invite").click();
    const input = page.getByTestId("community-invite-link");
    await input.waitFor();
    inviteLink = await input.inputValue();
    await closeDialog(page);

    const carol = await newUser("Carol Web", "135790", inviteLink);
    users.carol = carol;
    const dialog = carol.page.getByTestId("join-community-dialog");
    await dialog.getByTestId("join-community").click();
    await expect
      .poll(() => carol.page.getByTestId("chat-title").textContent(), { timeout: 30_000 })
      .toBe("#general");
    await channelItem(carol.page, "random").waitFor({ timeout: 30_000 });
    await openChannel(carol.page, "random");
    // ada's member list shows carol once her community view has caught up
    await page
      .locator(`[data-testid=member-item][data-handle="${carol.handle}"]`)
      .waitFor({ timeout: 30_000 });
    await openChannel(page, "general");
  });

  it("ada mentions carol from the autocomplete (keyboard), carol sees the badge, then the highlight", async () => {
    const { ada, carol } = users as { ada: WebUser; carol: WebUser };
    const composer = ada.page.getByTestId("composer");
    await composer.click();
    await composer.pressSequentially("Ping @ca");
    const options = ada.page.getByRole("listbox", { name: "Mention suggestions" });
    await options.waitFor();
    const carolOption = options.getByRole("option", { name: /Carol Web/ });
    await carolOption.waitFor();
    // the text area names the highlighted option; arrows move, Escape closes, a new @ reopens
    expect(await composer.getAttribute("aria-autocomplete")).toBe("list");
    expect(await composer.getAttribute("aria-activedescendant")).toBe(await carolOption.getAttribute("id"));
    expect(await carolOption.getAttribute("aria-selected")).toBe("true");
    await expectAccessible(ada.page, "mention autocomplete");
    await screenshot(ada.page, "mention-autocomplete");
    await composer.press("Escape");
    await options.waitFor({ state: "detached" });
    await composer.press("Backspace");
    await composer.pressSequentially("a");
    await options.waitFor({ state: "detached" });
    await composer.pressSequentially(" and @c");
    await carolOption.waitFor();
    await composer.press("Enter");
    await options.waitFor({ state: "detached" });
    expect(await composer.inputValue()).toBe(`Ping @ca and @${carol.handle} `);
    await composer.pressSequentially("look");
    await composer.press("Enter");
    const text = `Ping @ca and @${carol.handle} look`;
    await messageWithText(ada.page, text).waitFor({ timeout: 20_000 });

    // carol, in #random: #general shows one unread mention
    const badge = channelItem(carol.page, "general").getByTestId("unread-mentions");
    await expect.poll(() => badge.textContent(), { timeout: 30_000 }).toBe("@11 unread mention");
    expect(await badge.locator("[aria-hidden=true]").textContent()).toBe("@1");
    await expectAccessible(carol.page, "mention badge");

    await openChannel(carol.page, "general");
    const message = messageWithText(carol.page, `@${carol.handle}`);
    await message.waitFor({ timeout: 20_000 });
    const mention = message.getByTestId("mention");
    expect(await mention.getAttribute("data-mention")).toBe("me");
    expect(await mention.textContent()).toBe(`@${carol.handle} (mention of you)`);
    await screenshot(carol.page, "mention-highlight");
    // read now: the badge is gone
    await badge.waitFor({ state: "detached", timeout: 20_000 });
    expect(errors).toEqual([]);
  });
});
