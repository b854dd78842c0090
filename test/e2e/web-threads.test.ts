import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { MessageRecord, VollyClient } from "@volly/client";
import { initNodeProfile } from "@volly/client/node";
import type { Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { type ServerProcess, startServerProcess } from "../integration/helpers/server-process.js";
import { browserTestsEnabled, launchChromium } from "./helpers/chromium.js";
import {
  closeDialog,
  expectAccessible,
  onboard,
  screenshot,
  sendMessage,
  type WebUser,
  watchErrors,
} from "./helpers/web-app.js";

const WEB_INDEX = resolve(import.meta.dirname, "../../packages/web/dist/index.html");

/**
 * Threads in a community channel, in Debian's Chromium: ada (web) starts a thread with "Reply in
 * thread" and replies in the side panel; bob (a real SDK device in Node) sees "1 reply" on his side
 * and answers in the thread; ada's root shows "2 replies" with an unread marker while the panel is
 * closed, and opening it by keyboard shows the reply; the thread's composer completes an @mention
 * of bob from its listbox, and bob's device counts it as mentioning him. One real `volly serve` child process.
 */
describe.skipIf(!browserTestsEnabled())("web app: threads in Chromium", () => {
  let server: ServerProcess;
  let browser: Browser;
  const errors: string[] = [];
  let ada: WebUser;
  let bob: VollyClient;

  beforeAll(async () => {
    expect(existsSync(WEB_INDEX), "packages/web/dist is missing: run `npm run build`").toBe(true);
    server = await startServerProcess();
    browser = await launchChromium();
    bob = await initNodeProfile(
      join(tempDir(), "bob"),
      {
        serverUrl: server.url,
        handle: "bob.node",
        displayName: "Bob Node",
        pin: "123456",
        kdf: { memoryKiB: 1024, iterations: 1 },
      },
      { initialBackoffMs: 50, maxBackoffMs: 300 },
    );
    await bob.connect();
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-GB" });
    const page = await context.newPage();
    watchErrors(page, errors);
    await page.goto(server.url);
    await page.getByLabel("Your name").waitFor();
    ada = { context, page, name: "Ada Lovelace", handle: "", pin: "246810" };
    ada.handle = await onboard(page, ada.name, ada.pin);
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== "fail" || !ada || ada.page.isClosed()) return;
    const path = join(tmpdir(), "volly-e2e-threads-failure.png");
    await ada.page.screenshot({ path }).catch(() => undefined);
    console.error(`${ctx.task.name}: ada's screen is in ${path}`);
  });

  afterAll(async () => {
    await bob?.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
  });

  it("opens a thread, replies there, and the other side sees 1 reply; its answer shows as unread", async () => {
    const { page } = ada;
    await page.getByRole("button", { name: "Create a community" }).click();
    await page.getByLabel("Community name").fill("Thread Guild");
    await page.getByTestId("create-community").click();
    await expect
      .poll(() => page.getByTestId("chat-title").textContent(), { timeout: 30_000 })
      .toBe("#general");
    const created = await bob.communities.join(await inviteLinkOf(page));
    const generalId = created.channels.find((c) => c.name === "general")?.channelId as string;
    const conversationId = await bob.communities.conversationOf(generalId);
    await page.locator('[data-testid=member-item][data-handle="bob.node"]').waitFor({ timeout: 30_000 });

    // the root, then "Reply in thread" from its actions menu
    await sendMessage(page, "Which day for the release?");
    const timeline = page.getByTestId("messages");
    const root = timeline.getByTestId("message").filter({ hasText: "Which day for the release?" });
    await root.waitFor();
    let rootRecord: MessageRecord | undefined;
    await waitFor(
      async () => {
        rootRecord = (await bob.messaging.history(conversationId)).find(
          (m) => m.body.type === "text" && m.body.text === "Which day for the release?",
        );
        return rootRecord !== undefined;
      },
      { message: "bob to receive the root", timeoutMs: 60_000 },
    );
    await root.hover();
    await root.getByRole("button", { name: "More actions" }).click();
    await page.getByRole("menuitem", { name: "Reply in thread" }).click();
    const panel = page.getByRole("complementary", { name: "Thread" });
    await panel.waitFor();
    // the panel's composer has the focus: type and send with Enter
    expect(await page.evaluate(() => document.activeElement?.getAttribute("aria-label"))).toBe(
      "Reply in thread",
    );
    await page.keyboard.type("Friday, after the freeze");
    await page.keyboard.press("Enter");
    await panel.getByTestId("message").filter({ hasText: "Friday, after the freeze" }).waitFor();
    // the reply is in the thread, not in the channel's main timeline; the root says "1 reply"
    await expect.poll(() => timeline.getByTestId("thread-replies").textContent()).toContain("1 reply");
    expect(
      await timeline.getByTestId("message").filter({ hasText: "Friday, after the freeze" }).count(),
    ).toBe(0);
    await expectAccessible(page, "thread panel");
    await screenshot(page, "thread");

    // the other side: bob's device has the reply in the thread, "1 reply"
    await waitFor(async () => (await bob.threads.list(conversationId))[0]?.replyCount === 1, {
      message: "bob to see 1 reply in the thread",
      timeoutMs: 60_000,
    });
    const [thread] = await bob.threads.list(conversationId);
    expect(thread).toMatchObject({ rootId: rootRecord?.id, replyCount: 1, unread: 1 });

    // the panel closed, bob answers: ada's root shows 2 replies and an unread marker
    await page.getByRole("button", { name: "Close thread panel" }).click();
    await panel.waitFor({ state: "detached" });
    await bob.messaging.send(conversationId, "Friday works for me", { threadId: rootRecord?.id as string });
    const replies = timeline.getByTestId("thread-replies");
    await expect.poll(() => replies.textContent(), { timeout: 60_000 }).toContain("2 replies");
    await expect.poll(() => replies.getByTestId("thread-unread").count(), { timeout: 30_000 }).toBe(1);
    expect(await replies.getAttribute("aria-label")).toBe("2 replies, 1 unread: open thread");
    // by keyboard: focus the button, Enter opens the thread with bob's answer; the marker goes
    await replies.focus();
    await page.keyboard.press("Enter");
    await panel.getByTestId("message").filter({ hasText: "Friday works for me" }).waitFor();
    await expect.poll(() => replies.getByTestId("thread-unread").count(), { timeout: 30_000 }).toBe(0);
    // the thread's composer offers mentions like the channel's: "@bo" lists bob, a click picks him
    const composer = panel.getByTestId("thread-composer-input");
    await composer.click();
    await page.keyboard.type("@bo");
    const option = panel.getByRole("option", { name: /Bob Node/ });
    await option.waitFor();
    expect(await composer.getAttribute("aria-activedescendant")).toBe(await option.getAttribute("id"));
    await option.click();
    expect(await composer.inputValue()).toBe("@bob.node ");
    await page.keyboard.type("tag it, please");
    await page.keyboard.press("Enter");
    await panel.getByTestId("message").filter({ hasText: "tag it, please" }).waitFor();
    await waitFor(
      async () =>
        (await bob.threads.messages(conversationId, rootRecord?.id as string)).some(
          (m) =>
            m.body.type === "text" && m.body.text === "@bob.node tag it, please" && m.mentionsMe === true,
        ),
      { message: "bob to receive the thread reply that mentions him", timeoutMs: 60_000 },
    );
    // Escape closes the panel and gives the focus back to the replies button
    await page.keyboard.press("Escape");
    await panel.waitFor({ state: "detached" });
    expect(await page.evaluate(() => document.activeElement?.getAttribute("data-testid"))).toBe(
      "thread-replies",
    );
    // the channel's thread list
    await page.getByTestId("open-threads").click();
    const list = page.getByRole("complementary", { name: "Threads" });
    await list.getByTestId("thread-entry").filter({ hasText: "3 replies" }).waitFor();
    expect(errors).toEqual([]);
  });
});

/** Creates an invite to ada's open community from its menu and returns the link. */
async function inviteLinkOf(page: WebUser["page"]): Promise<string> {
  await page.getByTestId("community-menu").click();
  await page.getByTestId("open-community-invite").click();
  await page.getByTestId("create-community-invite").click();
  const input = page.getByTestId("community-invite-link");
  await input.waitFor();
  const link = await input.inputValue();
  await closeDialog(page);
  return link;
}
