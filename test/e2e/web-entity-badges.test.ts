import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { VollyClient } from "@volly/client";
import { initNodeProfile } from "@volly/client/node";
import type { Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { type ServerProcess, startServerProcess } from "../integration/helpers/server-process.js";
import { browserTestsEnabled, launchChromium } from "./helpers/chromium.js";
import {
  animationsSettled,
  closeDialog,
  conversationItem,
  createInviteLink,
  expectAccessible,
  messageWithText,
  onboard,
  openConversation,
  screenshot,
  type WebUser,
  watchErrors,
} from "./helpers/web-app.js";

const WEB_INDEX = resolve(import.meta.dirname, "../../packages/web/dist/index.html");

/**
 * Entity types in the web app: a bot account (a real SDK device in Node, registered with
 * `entityType: "bot"`) is DMed from a person's invite link, added to a group and invited to a
 * community from the web app like anyone; its message and its member entries (group, community,
 * DM header, member card) carry a "BOT" badge named "bot account", in light and dark themes. One real `volly serve` child process, Debian's Chromium.
 */
describe.skipIf(!browserTestsEnabled())("web app: entity type badges in Chromium", () => {
  let server: ServerProcess;
  let browser: Browser;
  let bob: WebUser | undefined;
  let echo: VollyClient | undefined;
  const errors: string[] = [];

  beforeAll(async () => {
    expect(existsSync(WEB_INDEX), "packages/web/dist is missing: run `npm run build`").toBe(true);
    server = await startServerProcess();
    browser = await launchChromium();
    echo = await initNodeProfile(
      join(tempDir(), "echo"),
      {
        serverUrl: server.url,
        handle: "echo",
        displayName: "Echo",
        entityType: "bot",
        pin: "123456",
        kdf: { memoryKiB: 1024, iterations: 1 },
      },
      { initialBackoffMs: 50, maxBackoffMs: 300 },
    );
    await echo.connect();
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== "fail" || !bob || bob.page.isClosed()) return;
    const path = join(tmpdir(), "volly-e2e-entity-badges-failure.png");
    await bob.page.screenshot({ path }).catch(() => undefined);
    console.error(`${ctx.task.name}: bob's screen is in ${path}`);
  });

  afterAll(async () => {
    await echo?.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
  });

  it("a person DMs a bot through an invite link and adds it to a group like anyone; its message and member entries say BOT", async () => {
    const context = await browser.newContext({ viewport: { width: 1180, height: 760 }, locale: "en-GB" });
    const page = await context.newPage();
    watchErrors(page, errors);
    await page.goto(server.url);
    await page.getByLabel("Your name").waitFor();
    bob = { context, page, name: "Bob Stone", handle: "", pin: "246810" };
    bob.handle = await onboard(page, bob.name, bob.pin);
    const bot = echo as VollyClient;

    // The bot accepts bob's invite link: a direct conversation, as with a person.
    const link = await createInviteLink(page);
    await closeDialog(page);
    await bot.invites.accept(link);
    await conversationItem(page, "Echo").click();
    const title = page.getByTestId("chat-title");
    await title.getByRole("img", { name: "bot account" }).waitFor({ timeout: 30_000 });
    expect(await title.getByTestId("entity-badge").textContent()).toBe("BOT");

    // bob adds the bot to a new group from his contacts, like a person.
    await page.getByTestId("open-new-group").click();
    await page.getByLabel("Group name").fill("Ops");
    await page.locator('[data-testid=contact-checkbox][data-handle="echo"]').check();
    await page.getByTestId("create-group").click();
    await page.getByTestId("new-group-dialog").waitFor({ state: "hidden", timeout: 30_000 });
    await expect.poll(() => title.textContent(), { timeout: 30_000 }).toBe("Ops");

    let groupId = "";
    await waitFor(
      async () => {
        groupId = (await bot.conversations.list()).find((c) => c.kind === "group")?.id ?? "";
        return groupId !== "";
      },
      { message: "the bot to join the group", timeoutMs: 30_000 },
    );
    await bot.messaging.send(groupId, "beep, I am a bot");

    // On the message: the sender's name, then the badge, named for screen readers.
    await openConversation(page, "Ops");
    const message = messageWithText(page, "beep, I am a bot");
    await message.waitFor({ timeout: 30_000 });
    expect(await message.locator(".sender").textContent()).toBe("Echo");
    const onMessage = message.getByRole("img", { name: "bot account" });
    expect(await onMessage.textContent()).toBe("BOT");
    expect(await onMessage.isVisible()).toBe(true);
    await screenshot(page, "entity-badges");

    // In the group's member list: the bot has the badge, bob (a person) none.
    await page.getByTestId("open-group-details").click();
    const member = page.locator('[data-testid=group-member][data-handle="echo"]');
    await member.waitFor();
    expect(await member.getByRole("img", { name: "bot account" }).textContent()).toBe("BOT");
    expect(await page.getByTestId("group-dialog").getByTestId("entity-badge").count()).toBe(1);
    await expectAccessible(page, "group members with a bot");
    await closeDialog(page);
  });

  it("a person invites the bot to a community like anyone; the member list and its card say BOT", async () => {
    const page = (bob as WebUser).page;
    await page.getByRole("button", { name: "Create a community" }).click();
    await page.getByLabel("Community name").fill("Lab");
    await page.getByTestId("create-community").click();
    await expect
      .poll(() => page.getByTestId("community-name").textContent(), { timeout: 30_000 })
      .toBe("Lab");
    await page.getByTestId("community-menu").click();
    await page.getByTestId("open-community-invite").click();
    await page.getByTestId("create-community-invite").click();
    await page.getByTestId("community-invite-link").waitFor();
    const link = await page.getByTestId("community-invite-link").inputValue();
    await closeDialog(page);
    await (echo as VollyClient).communities.join(link);

    const item = page.locator('[data-testid=member-item][data-handle="echo"]');
    await item.waitFor({ timeout: 30_000 });
    expect(await item.getByRole("img", { name: "bot account" }).textContent()).toBe("BOT");
    expect(await page.getByTestId("member-list").getByTestId("entity-badge").count()).toBe(1);
    await item.click();
    const card = page.getByTestId("member-dialog");
    expect(await card.getByRole("img", { name: "bot account" }).textContent()).toBe("BOT");
    await closeDialog(page);
    await page.getByTestId("rail-direct").click();
  });

  it("the badge stays readable and accessible in the dark theme", async () => {
    const page = (bob as WebUser).page;
    await openConversation(page, "Ops");
    await page.getByTestId("open-settings").click();
    await page.getByTestId("theme-dark").check({ force: true });
    await closeDialog(page);
    await animationsSettled(page);
    const badge = messageWithText(page, "beep, I am a bot").getByRole("img", { name: "bot account" });
    expect(await badge.isVisible()).toBe(true);
    await expectAccessible(page, "group chat with a bot (dark)");
  });

  it("no page errors", () => {
    expect(errors).toEqual([]);
  });
});
