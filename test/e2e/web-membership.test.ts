import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { VollyClient } from "@volly/client";
import { initNodeProfile } from "@volly/client/node";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { type ServerProcess, startServerProcess } from "../integration/helpers/server-process.js";
import { browserTestsEnabled, launchChromium } from "./helpers/chromium.js";
import {
  animationsSettled,
  closeDialog,
  conversationItem,
  expectAccessible,
  messageWithText,
  onboard,
  openConversation,
  saveFailureScreens,
  screenshot,
  sendMessage,
  type WebUser,
  watchErrors,
} from "./helpers/web-app.js";

const WEB_INDEX = resolve(import.meta.dirname, "../../packages/web/dist/index.html");

/**
 * Group membership as people see it in the web app: who added, removed, left and renamed, as lines
 * in the timeline and the sidebar; the names of people who are gone; what a removed member's own
 * screen says. One real `volly serve` child process; bob and carol use the web app in Debian's
 * Chromium, alice (the group's admin) and dave are real SDK devices (Node). The tests run in order.
 */
describe.skipIf(!browserTestsEnabled())("web app: membership events in Chromium", () => {
  let server: ServerProcess;
  let browser: Browser;
  const errors: string[] = [];
  const users: Record<string, WebUser> = {};
  const peers: Record<string, VollyClient> = {};
  let groupId = "";

  async function webUser(name: string, pin: string): Promise<WebUser> {
    const context = await browser.newContext({ viewport: { width: 1180, height: 760 }, locale: "en-GB" });
    const page = await context.newPage();
    watchErrors(page, errors);
    await page.goto(server.url);
    await page.getByLabel("Your name").waitFor();
    const user: WebUser = { context, page, name, handle: "", pin };
    user.handle = await onboard(page, name, pin);
    return user;
  }

  async function nodePeer(handle: string, displayName: string): Promise<VollyClient> {
    const client = await initNodeProfile(
      join(tempDir(), handle),
      { serverUrl: server.url, handle, displayName, pin: "123456", kdf: { memoryKiB: 1024, iterations: 1 } },
      { initialBackoffMs: 50, maxBackoffMs: 300 },
    );
    await client.connect();
    return client;
  }

  /** The line under the open chat's title: presence, the member count, or why one is no longer in it. */
  function chatStatus(page: Page) {
    return page.locator("[data-testid=chat] header .sub");
  }

  /** The membership lines of the open chat, as their text (without the time). */
  async function membershipLines(page: Page): Promise<string[]> {
    const lines = await page.getByTestId("membership-event").locator(".text").allTextContents();
    return lines.map((l) => l.trim());
  }

  beforeAll(async () => {
    expect(existsSync(WEB_INDEX), "packages/web/dist is missing: run `npm run build`").toBe(true);
    server = await startServerProcess();
    browser = await launchChromium();
    peers.alice = await nodePeer("alice.martin", "Alice Martin");
    peers.dave = await nodePeer("dave.kim", "Dave Kim");
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== "fail") return;
    await saveFailureScreens(users, "membership-", ctx.task.name);
  });

  afterAll(async () => {
    for (const peer of Object.values(peers)) await peer.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
  });

  it("setup: alice makes a group with bob and carol, renames it, carol writes, dave comes and goes, alice removes carol", async () => {
    users.bob = await webUser("Bob Stone", "246810");
    users.carol = await webUser("Carol Díaz-O'Neil", "135790");
    const { bob, carol } = users as { bob: WebUser; carol: WebUser };
    expect(carol.handle).toBe("carol.diaz-oneil");
    const alice = peers.alice as VollyClient;
    const dave = peers.dave as VollyClient;

    const group = await alice.conversations.createGroup("Trip", [bob.handle, carol.handle]);
    groupId = group.id;
    await conversationItem(carol.page, "Trip").waitFor({ timeout: 30_000 });
    await conversationItem(bob.page, "Trip").waitFor({ timeout: 30_000 });
    await alice.conversations.rename(groupId, "Weekend trip");
    await openConversation(carol.page, "Weekend trip");
    await sendMessage(carol.page, "Count me in!");
    await waitFor(async () => (await alice.messaging.history(groupId)).some((m) => m.body.type === "text"), {
      message: "alice to read carol",
    });

    await alice.conversations.addMembers(groupId, ["dave.kim"]);
    await waitFor(async () => (await dave.conversations.list()).some((c) => c.id === groupId), {
      message: "dave joins",
    });
    await dave.conversations.leave(groupId);
    // alice's device (the lowest leaf) commits dave's Remove by itself
    await waitFor(async () => (await alice.conversations.get(groupId)).members?.length === 2, {
      message: "dave's departure committed",
      timeoutMs: 30_000,
    });
    await alice.conversations.removeMember(groupId, carol.handle);
    await openConversation(bob.page, "Weekend trip");
    await expect.poll(() => chatStatus(bob.page).textContent(), { timeout: 30_000 }).toBe("2 members");
  });

  it("a removed member keeps their name: on their old message and in bob's sidebar", async () => {
    const { bob } = users as { bob: WebUser };
    const message = messageWithText(bob.page, "Count me in!");
    await message.waitFor();
    expect(await message.locator(".sender").textContent()).toBe("Carol Díaz-O'Neil");
    const preview = conversationItem(bob.page, "Weekend trip").getByTestId("conversation-preview");
    await expect.poll(() => preview.textContent(), { timeout: 20_000 }).toBe("Alice removed Carol");
  });

  it("the removed member's own screen says who removed her, not a member count, and she cannot write", async () => {
    const { carol } = users as { carol: WebUser };
    await expect
      .poll(() => chatStatus(carol.page).textContent(), { timeout: 30_000 })
      .toBe("You were removed by Alice Martin");
    expect(await carol.page.getByTestId("composer").count()).toBe(0);
    expect(await carol.page.getByTestId("composer-disabled").textContent()).toBe(
      "You were removed by Alice Martin. You can't send messages in this group any more.",
    );
    expect(await membershipLines(carol.page)).toEqual([
      "Alice Martin added you",
      "Alice Martin renamed the group to “Weekend trip”",
      "Alice Martin added Dave Kim",
      "Dave Kim left",
      "Alice Martin removed you",
    ]);
    const preview = conversationItem(carol.page, "Weekend trip").getByTestId("conversation-preview");
    expect(await preview.textContent()).toBe("Alice removed you");
    await expectAccessible(carol.page, "chat of a removed member");
    await screenshot(carol.page, "membership-removed");
  });

  it("membership changes are lines in the timeline, in order, with their time; accessible in light and dark", async () => {
    const { bob } = users as { bob: WebUser };
    const { page } = bob;
    await expect
      .poll(() => membershipLines(page), { timeout: 20_000 })
      .toEqual([
        "Alice Martin added you",
        "Alice Martin renamed the group to “Weekend trip”",
        "Alice Martin added Dave Kim",
        "Dave Kim left",
        "Alice Martin removed Carol Díaz-O'Neil",
      ]);
    // a line sits between the messages, where it happened: carol's message after the rename
    const order = await page
      .locator("[data-testid=membership-event], [data-testid=message]")
      .evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.testid));
    expect(order).toEqual([
      "membership-event",
      "membership-event",
      "message",
      "membership-event",
      "membership-event",
      "membership-event",
    ]);
    const line = page.getByTestId("membership-event").last();
    expect(await line.getAttribute("role")).toBe("note");
    expect(await line.locator("time").textContent()).toMatch(/^\d\d:\d\d$/);

    await expectAccessible(page, "chat with membership lines");
    await screenshot(page, "membership-light");
    await page.getByTestId("open-settings").click();
    await page.getByTestId("theme-dark").check({ force: true });
    await closeDialog(page);
    await animationsSettled(page);
    await expectAccessible(page, "chat with membership lines (dark)");
    await screenshot(page, "membership-dark");
  });

  it("no page errors", () => {
    expect(errors).toEqual([]);
  });
});
