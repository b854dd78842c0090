import { join } from "node:path";
import type { VollyClient } from "@volly/client";
import { initNodeProfile } from "@volly/client/node";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { type ServerProcess, startServerProcess } from "../integration/helpers/server-process.js";
import { browserTestsEnabled, launchChromium } from "./helpers/chromium.js";
import {
  closeDialog,
  conversationItem,
  createInviteLink,
  expectAccessible,
  onboard,
  openConversation,
  saveFailureScreens,
  screenshot,
  unlock,
  watchErrors,
} from "./helpers/web-app.js";

/** A notification as the service worker's registration lists it. */
interface Shown {
  tag: string;
  title: string;
  body: string;
  conversationId: string | undefined;
}

/** The notifications the app's service worker holds (optionally of one conversation). */
function shownNotifications(page: Page, tag?: string): Promise<Shown[]> {
  return page.evaluate(async (t) => {
    const registration = await navigator.serviceWorker.ready;
    const list = await registration.getNotifications(t ? { tag: t } : undefined);
    return list.map((n) => ({
      tag: n.tag,
      title: n.title,
      body: n.body,
      conversationId: (n.data as { conversationId?: string } | null)?.conversationId,
    }));
  }, tag);
}

/** Per page, what the app said became of each hidden-tab arrival ("volly notification <id>: shown", …). */
const notificationOutcomes = new WeakMap<Page, string[]>();

/** Keeps the app's notification outcomes (its console debug lines), for {@link waitForNotification}'s error. */
function watchNotificationOutcomes(page: Page): void {
  const outcomes: string[] = [];
  notificationOutcomes.set(page, outcomes);
  page.on("console", (msg) => {
    if (msg.text().startsWith("volly notification ")) outcomes.push(msg.text());
  });
}

/**
 * Waits until the service worker holds a notification of `tag` that `ok` accepts. On a timeout
 * the error says what the page showed meanwhile (the conversation's list entry, the tab's title and
 * visibility, every notification held), to tell a message that never arrived from one that arrived
 * and was not notified, and what the app said became of each arrival (no line for a message: its
 * arrival never reached the notification queue).
 */
async function waitForNotification(
  page: Page,
  tag: string,
  ok: (shown: Shown[]) => boolean,
  message: string,
): Promise<void> {
  await waitFor(
    async () => {
      const shown = await shownNotifications(page, tag);
      if (ok(shown)) return true;
      const seen = await page.evaluate((t) => {
        const items = [...document.querySelectorAll("[data-testid=conversation-item]")];
        return {
          title: document.title,
          visibility: document.visibilityState,
          conversations: items.map((i) => i.textContent?.replace(/\s+/g, " ").trim()),
          tag: t,
        };
      }, tag);
      const all = await shownNotifications(page);
      const outcomes = notificationOutcomes.get(page) ?? [];
      throw new Error(
        `${JSON.stringify(seen)}; notifications: ${JSON.stringify(all)}; outcomes: ${JSON.stringify(outcomes)}`,
      );
    },
    { timeoutMs: 60_000, message, ignoreErrors: true },
  );
}

/** Closes every notification of the app. */
function closeNotifications(page: Page): Promise<void> {
  return page.evaluate(async () => {
    const registration = await navigator.serviceWorker.ready;
    for (const n of await registration.getNotifications()) n.close();
  });
}

/**
 * Hides or shows the tab as the page sees it (`document.visibilityState`, `document.hidden`, a
 * `visibilitychange` event). Headless Chromium keeps every page "visible" whatever is in front
 * (checked: another page brought to front, a new tab in the same window, the window minimized
 * through CDP), so the tab's state is set in the page; the app's own code does the rest.
 */
async function setTabHidden(page: Page, hidden: boolean): Promise<void> {
  await page.evaluate((h) => {
    if (h) {
      Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
      Object.defineProperty(document, "hidden", { configurable: true, get: () => true });
    } else {
      // back to Document.prototype's real getters
      Reflect.deleteProperty(document, "visibilityState");
      Reflect.deleteProperty(document, "hidden");
    }
    document.dispatchEvent(new Event("visibilitychange"));
  }, hidden);
  expect(await page.evaluate(() => document.visibilityState)).toBe(hidden ? "hidden" : "visible");
}

/**
 * Whether the favicon shows the red unread badge: its href drawn on a 64 px canvas, one pixel
 * inside the badge's circle and clear of its digits (unread-badge.ts draws the circle of radius 19
 * at (45, 19) in #e5383b).
 */
async function iconHasBadge(page: Page): Promise<boolean> {
  return page.evaluate(async () => {
    const href = document.querySelector<HTMLLinkElement>('link[rel="icon"]')?.href;
    if (!href) return false;
    const img = new Image();
    img.src = href;
    await img.decode();
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = 64;
    const ctx = canvas.getContext("2d");
    if (!ctx) return false;
    ctx.drawImage(img, 0, 0, 64, 64);
    const [r, g, b] = ctx.getImageData(32, 19, 1, 1).data;
    return (r ?? 0) > 200 && (g ?? 255) < 100 && (b ?? 255) < 100;
  });
}

/** A Node SDK user with a small KDF, connected. */
async function sdkUser(serverUrl: string, handle: string, displayName: string): Promise<VollyClient> {
  const client = await initNodeProfile(
    join(tempDir(), handle),
    { serverUrl, handle, displayName, pin: "123456", kdf: { memoryKiB: 1024, iterations: 1 } },
    { initialBackoffMs: 50, maxBackoffMs: 300 },
  );
  await client.connect();
  return client;
}

/**
 * Notifications end to end (issue 13): a real `volly serve` process, alice in Chromium with the
 * notifications permission granted, erin and frank on the Node SDK. While alice's tab is hidden a
 * message from erin shows as the service worker's notification for that conversation (tag =
 * conversation id, title = name, body = text only with previews on); muted, nothing shows; the tab
 * title counts unread messages. Tests build on each other.
 */
describe.skipIf(!browserTestsEnabled())("web notifications in Chromium", () => {
  let server: ServerProcess;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let erin: VollyClient;
  let frank: VollyClient;
  let erinConv = "";
  let frankConv = "";
  /** The favicon with the unread badge, as the first hidden-tab message left it. */
  let badgedIcon = "";
  const errors: string[] = [];

  beforeAll(async () => {
    server = await startServerProcess();
    browser = await launchChromium();
    context = await browser.newContext({
      viewport: { width: 1180, height: 760 },
      locale: "en-GB",
      reducedMotion: "reduce",
    });
    await context.grantPermissions(["notifications"], { origin: server.url });
    page = await context.newPage();
    watchErrors(page, errors);
    watchNotificationOutcomes(page);
    await page.goto(server.url);
    await page.getByLabel("Your name").waitFor();
    await onboard(page, "Alice Notify", "135790");
    erin = await sdkUser(server.url, "erin.notify", "Erin");
    frank = await sdkUser(server.url, "frank.notify", "Frank");
    erinConv = (await erin.invites.accept(await createInviteLink(page))).id;
    await closeDialog(page);
    frankConv = (await frank.invites.accept(await createInviteLink(page))).id;
    await closeDialog(page);
    await conversationItem(page, "Erin").waitFor({ timeout: 30_000 });
    await conversationItem(page, "Frank").waitFor({ timeout: 30_000 });
  }, 240_000);

  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== "fail" || !page) return;
    await saveFailureScreens({ alice: { page } }, "notifications-", ctx.task.name);
  });

  afterAll(async () => {
    await erin?.close();
    await frank?.close();
    await browser?.close();
    await server?.stop();
  });

  it("the service worker is registered at start; the settings show the Notifications section", async () => {
    const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
    expect(scope).toBe(`${server.url}/`);
    await page.getByTestId("open-settings").click();
    const dialog = page.getByTestId("settings-dialog");
    await dialog.waitFor();
    const section = dialog.getByTestId("notification-settings");
    expect(await section.getByTestId("notification-permission").getAttribute("data-permission")).toBe(
      "granted",
    );
    expect(await section.getByRole("switch", { name: /^Notifications/ }).isChecked()).toBe(true);
    expect(await section.getByRole("switch", { name: /^Show message text/ }).isChecked()).toBe(false);
    expect(await section.getByRole("switch", { name: /^Sound/ }).isChecked()).toBe(true);
    await expectAccessible(page, "settings with notifications");
    await closeDialog(page);
  });

  it("a message while the tab is hidden: one notification for the conversation, 'New message' without previews; the title counts it", async () => {
    await setTabHidden(page, true);
    await erin.messaging.enqueue(erinConv, "first secret");
    await waitForNotification(page, erinConv, (shown) => shown.length === 1, "erin's notification");
    expect(await shownNotifications(page)).toEqual([
      { tag: erinConv, title: "Erin", body: "New message", conversationId: erinConv },
    ]);
    await expect.poll(() => page.title(), { timeout: 20_000 }).toBe("(1) Volly");
    // drawn once the icon's image has loaded
    const icon = () => page.locator('link[rel="icon"]').getAttribute("href");
    await expect.poll(icon, { timeout: 20_000 }).toMatch(/^data:image\/png;base64,/);
    await expect.poll(() => iconHasBadge(page), { timeout: 20_000 }).toBe(true);
    badgedIcon = (await icon()) ?? "";
  });

  it("with previews on, the text shows; a second message replaces the conversation's notification", async () => {
    await setTabHidden(page, false);
    await page.getByTestId("open-settings").click();
    const previews = page.getByTestId("settings-dialog").getByRole("switch", { name: /^Show message text/ });
    await previews.check();
    await expect.poll(() => previews.isChecked()).toBe(true);
    await closeDialog(page);
    await setTabHidden(page, true);
    await erin.messaging.enqueue(erinConv, "second hello");
    await waitForNotification(
      page,
      erinConv,
      (shown) => shown[0]?.body === "second hello",
      "the notification shows the text",
    );
    expect(await shownNotifications(page)).toEqual([
      { tag: erinConv, title: "Erin", body: "second hello", conversationId: erinConv },
    ]);
    await expect.poll(() => page.title(), { timeout: 20_000 }).toBe("(2) Volly");
  });

  it("a muted conversation shows muted and notifies nothing; others still do", async () => {
    await setTabHidden(page, false);
    await closeNotifications(page);
    await openConversation(page, "Erin");
    // opening it read it: the count and the badge are gone
    await expect.poll(() => page.title(), { timeout: 20_000 }).toBe("Volly");
    // the plain icon again, drawn from the one loaded before (no request: the server may be away)
    await expect
      .poll(() => page.locator('link[rel="icon"]').getAttribute("href"), { timeout: 20_000 })
      .toMatch(/^data:image\/png;base64,/);
    await expect.poll(() => iconHasBadge(page), { timeout: 20_000 }).toBe(false);
    expect(await page.locator('link[rel="icon"]').getAttribute("href")).not.toBe(badgedIcon);

    await page.getByTestId("open-notifications").click();
    const dialog = page.getByTestId("notifications-dialog");
    await dialog.waitFor();
    await expectAccessible(page, "conversation notifications");
    await dialog.getByRole("button", { name: "For 8 hours" }).click();
    await dialog.getByTestId("mute-state").waitFor();
    expect(await dialog.getByTestId("mute-state").textContent()).toMatch(/^Muted until /);
    await screenshot(page, "notifications-dialog");
    await closeDialog(page);
    const muted = conversationItem(page, "Erin").getByTestId("conversation-muted");
    await muted.waitFor();
    expect(await conversationItem(page, "Erin").textContent()).toContain("Muted");
    expect(await page.getByTestId("open-notifications").getAttribute("aria-label")).toBe(
      "Notifications (muted)",
    );

    // open another conversation so erin's stays unread while hidden
    await openConversation(page, "Frank");
    await setTabHidden(page, true);
    await erin.messaging.enqueue(erinConv, "muted words");
    await expect
      .poll(() => conversationItem(page, "Erin").getByTestId("conversation-preview").textContent(), {
        timeout: 60_000,
      })
      .toBe("muted words");
    // the app handles arrivals in order: once frank's notification shows, erin's was decided
    await frank.messaging.enqueue(frankConv, "from frank");
    await waitForNotification(page, frankConv, (shown) => shown.length === 1, "frank's notification");
    expect(await shownNotifications(page)).toEqual([
      { tag: frankConv, title: "Frank", body: "from frank", conversationId: frankConv },
    ]);
    // a muted conversation's unread messages stay out of the tab's count
    await expect.poll(() => page.title(), { timeout: 20_000 }).toBe("(1) Volly");
    await setTabHidden(page, false);
    await expect.poll(() => page.title(), { timeout: 20_000 }).toBe("Volly");
  });

  it("clicking a notification closes it and opens its conversation in the tab", async () => {
    await openConversation(page, "Erin");
    await setTabHidden(page, true);
    await frank.messaging.enqueue(frankConv, "click me");
    await waitForNotification(
      page,
      frankConv,
      (shown) => shown[0]?.body === "click me",
      "frank's notification",
    );
    // Headless Chromium has no notification to click: the service worker's own click handler is
    // run on the notification it shows, with the event a click would bring.
    const worker = context.serviceWorkers().find((w) => w.url().endsWith("/sw.js"));
    expect(worker, "the app's service worker").toBeDefined();
    await worker!.evaluate(async (tag) => {
      // the service worker's globals (the tests' TypeScript has no webworker lib)
      const sw = self as unknown as EventTarget & { registration: ServiceWorkerRegistration };
      const Click = (
        globalThis as unknown as { NotificationEvent: new (type: string, init: object) => Event }
      ).NotificationEvent;
      const [notification] = await sw.registration.getNotifications({ tag });
      // a script-made event refuses waitUntil after the handler started the work; that is all
      sw.addEventListener("error", (e: Event) => e.preventDefault(), { once: true });
      try {
        sw.dispatchEvent(new Click("notificationclick", { notification }));
      } catch {
        // see above
      }
    }, frankConv);
    await expect.poll(() => page.getByTestId("chat-title").textContent(), { timeout: 20_000 }).toBe("Frank");
    await waitFor(async () => (await shownNotifications(page, frankConv)).length === 0, {
      message: "the clicked notification closed",
    });
    await setTabHidden(page, false);
  });

  it("a notification clicked with no tab open opens the app at /?conversation=<id>", async () => {
    await page.goto(`${server.url}/?conversation=${encodeURIComponent(erinConv)}`);
    await unlock(page, "135790");
    await expect.poll(() => page.getByTestId("chat-title").textContent(), { timeout: 30_000 }).toBe("Erin");
    expect(new URL(page.url()).search).toBe("");
    expect(errors).toEqual([]);
  });
});
