import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { BrowserContext, Locator, Page } from "playwright-core";
import { expect } from "vitest";
import { waitFor } from "../../helpers/wait-for.js";
import { seriousViolations } from "./axe.js";

/**
 * Where the tests save screenshots of the main screens: `test-results/screenshots` (ignored by
 * git), or `docs/images` — which the README uses — when run with VOLLY_UPDATE_SCREENSHOTS=1, so
 * an ordinary test run never changes tracked files.
 */
export const IMAGES_DIR = resolve(
  import.meta.dirname,
  process.env.VOLLY_UPDATE_SCREENSHOTS === "1" ? "../../../docs/images" : "../../../test-results/screenshots",
);

/** A person using the web app in one browser context. */
export interface WebUser {
  context: BrowserContext;
  page: Page;
  name: string;
  handle: string;
  pin: string;
}

/**
 * How these tests poll the page with `waitFor`: every 100 ms, and a query that fails (the element
 * is not there yet, the page is between states) counts as "not yet".
 */
export const PAGE_POLL = { intervalMs: 100, ignoreErrors: true } as const;

/** The theme the app applied (`<html data-theme>`: "light", "dark", "high-contrast" or "system"). */
export function theme(page: Page): Promise<string | undefined> {
  return page.evaluate(() => document.documentElement.dataset.theme);
}

/**
 * Waits until no animation or transition runs on the page (colour transitions after a theme change,
 * a dialog's exit), so a measurement or a contrast check sees the final state. An animation that is
 * cancelled meanwhile (its element removed, a transition replaced by another) is not an error: its
 * `finished` rejects with an AbortError, and the page is checked again until none is left running.
 *
 * @throws Error after 10 s with animations still running
 */
export async function animationsSettled(page: Page): Promise<void> {
  await waitFor(
    () =>
      page.evaluate(async () => {
        const running = document.getAnimations().filter((a) => a.playState === "running");
        // an endless animation never finishes: look again after 1 s, and let the wait's bound fail
        const lookAgain = new Promise((resolve) => setTimeout(resolve, 1_000));
        await Promise.race([Promise.allSettled(running.map((a) => a.finished)), lookAgain]);
        return running.length === 0;
      }),
    { timeoutMs: 10_000, message: "the page's animations to end" },
  );
}

/**
 * Collects page errors so a test can assert there were none; `who` (the user whose page it is)
 * prefixes each, so a failure says which page logged it.
 */
export function watchErrors(page: Page, into: string[], who?: string): void {
  const prefix = who ? `${who}: ` : "";
  page.on("pageerror", (err) => into.push(`${prefix}pageerror: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error" && !/status of 404/.test(msg.text())) {
      const where = msg.location().url;
      into.push(`${prefix}console: ${msg.text()}${where ? ` (${where})` : ""}`);
    }
  });
}

/** Asserts axe-core finds no serious or critical violation on the screen as it is. */
export async function expectAccessible(page: Page, screen: string): Promise<void> {
  const violations = await seriousViolations(page);
  expect(
    violations,
    `axe violations on the ${screen} screen:\n${JSON.stringify(violations, null, 2)}`,
  ).toEqual([]);
}

/** Saves `web-<name>.png` in {@link IMAGES_DIR}. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(IMAGES_DIR, { recursive: true });
  await page.screenshot({ path: resolve(IMAGES_DIR, `web-${name}.png`) });
}

/** Goes through onboarding: name, (suggested) handle, PIN. Returns once the app shell shows. */
export async function onboard(page: Page, name: string, pin: string): Promise<string> {
  await page.getByLabel("Your name").fill(name);
  const handleInput = page.getByLabel("Handle");
  await waitFor(async () => (await handleInput.inputValue()).length >= 3, {
    ...PAGE_POLL,
    message: "a suggested handle",
  });
  const handle = await handleInput.inputValue();
  await page.getByLabel("Choose a 6-digit PIN").fill(pin);
  await page.getByRole("button", { name: "Continue" }).click();
  await confirmRecoveryKey(page);
  await page.getByRole("button", { name: "Invite someone" }).first().waitFor({ timeout: 30_000 });
  return handle;
}

/**
 * After "Continue" on the onboarding screen: reads the recovery key shown once, ticks "I stored my
 * recovery key" and continues. Returns the key.
 */
export async function confirmRecoveryKey(page: Page): Promise<string> {
  const key = page.getByTestId("recovery-key");
  await key.waitFor({ timeout: 30_000 });
  const text = (await key.textContent())?.trim() ?? "";
  await page.getByLabel("I stored my recovery key").check();
  await page.getByTestId("recovery-key-done").click();
  return text;
}

/** Unlocks the app with the PIN (after a reload). */
export async function unlock(page: Page, pin: string): Promise<void> {
  await page.getByLabel("PIN", { exact: true }).fill(pin);
  await page.getByRole("button", { name: "Unlock" }).click();
  await page.getByRole("button", { name: "Invite someone" }).first().waitFor({ timeout: 30_000 });
}

/** Opens the invite dialog and returns the link it shows. */
export async function createInviteLink(page: Page): Promise<string> {
  await page.getByTestId("open-invite").click();
  const input = page.getByLabel("Invite link");
  await input.waitFor();
  return input.inputValue();
}

/** Closes the open dialog with Escape. */
export async function closeDialog(page: Page): Promise<void> {
  await page.keyboard.press("Escape");
  await page.locator("dialog[open]").waitFor({ state: "detached" });
}

/** The conversation list entry titled `title`. */
export function conversationItem(page: Page, title: string): Locator {
  return page.locator(`[data-testid=conversation-item][data-title="${title}"]`);
}

/**
 * Opens the conversation titled `title` from the list. The list is virtualized: right after a
 * change of text size its rows are measured again and can move under a click made meanwhile, so
 * the click is made again (while the entry is still listed) until the chat shows the conversation.
 */
export async function openConversation(page: Page, title: string): Promise<void> {
  const chatTitle = page.getByTestId("chat-title");
  await expect
    .poll(
      async () => {
        if ((await chatTitle.isVisible()) && (await chatTitle.textContent()) === title) return title;
        await conversationItem(page, title)
          .click({ timeout: 5_000 })
          .catch(() => undefined);
        return chatTitle.textContent({ timeout: 2_000 }).catch(() => undefined);
      },
      { timeout: 30_000 },
    )
    .toBe(title);
}

/** Types `text` in the composer and presses Enter. */
export async function sendMessage(page: Page, text: string): Promise<void> {
  const composer = page.getByTestId("composer");
  await composer.fill(text);
  await composer.press("Enter");
}

/** The chat's messages with this text. */
export function messageWithText(page: Page, text: string): Locator {
  return page.getByTestId("message").filter({ hasText: text });
}

/**
 * Describes the visible focus indicator of the focused element: its outline (style and width) or
 * box-shadow, or undefined when it has neither (WCAG 2.4.7 Focus Visible).
 */
export async function focusIndicator(page: Page): Promise<string | undefined> {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return undefined;
    const style = getComputedStyle(el);
    if (style.outlineStyle !== "none" && Number.parseFloat(style.outlineWidth) > 0) {
      return `outline ${style.outlineWidth} ${style.outlineStyle}`;
    }
    if (style.boxShadow && style.boxShadow !== "none") return `box-shadow ${style.boxShadow}`;
    return undefined;
  });
}

/** A short description of the focused element, for failure messages: tag, test id or label, text. */
export async function focusedElement(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el) return "nothing";
    const label = el.getAttribute("aria-label") ?? el.dataset.testid ?? el.id;
    return `<${el.tagName.toLowerCase()}> ${label ?? ""} ${(el.textContent ?? "").trim().slice(0, 40)}`;
  });
}

/**
 * Presses `key` (Tab or Shift+Tab) until `target` has the focus, at most `maxPresses` times,
 * asserting that every element the focus lands on shows a focus indicator.
 */
export async function tabTo(page: Page, target: Locator, key = "Tab", maxPresses = 40): Promise<void> {
  for (let i = 0; i < maxPresses; i++) {
    await page.keyboard.press(key);
    const where = await focusedElement(page);
    expect(await focusIndicator(page), `no visible focus indicator on ${where}`).toBeDefined();
    if (await target.evaluate((el) => el === document.activeElement)) return;
  }
  throw new Error(`${key} did not reach the target in ${maxPresses} presses`);
}

/**
 * Overwrites the sealed MLS group state of one conversation in the page's IndexedDB (database
 * `volly`, object store `kv`, key `mls:<id>/h`) with random bytes, as a disk error or a botched
 * restore would: the device can no longer decrypt that conversation. Returns false when there was
 * no state under that key.
 */
export async function corruptGroupState(page: Page, conversationId: string): Promise<boolean> {
  return page.evaluate(async (id) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open("volly");
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    try {
      return await new Promise<boolean>((resolve, reject) => {
        const tx = db.transaction("kv", "readwrite");
        const store = tx.objectStore("kv");
        // The state's head record (`mls:<id>/h`, see the SDK's store-keys.ts): the other records
        // cannot be read without it.
        const key = `mls:${id}/h`;
        let existed = false;
        const read = store.get(key);
        read.onsuccess = () => {
          existed = read.result !== undefined;
          if (existed) store.put(crypto.getRandomValues(new Uint8Array(96)), key);
        };
        tx.oncomplete = () => resolve(existed);
        tx.onerror = () => reject(tx.error);
      });
    } finally {
      db.close();
    }
  }, conversationId);
}

/**
 * After a failed test: what each person saw, saved as `volly-e2e-<prefix>-<who>-failure.png` in the
 * temporary directory and named on stderr, for the log. Closed pages are skipped; a screenshot
 * that fails is left out.
 */
export async function saveFailureScreens(
  users: Record<string, { page: Page }>,
  prefix: string,
  testName: string,
): Promise<void> {
  for (const [who, user] of Object.entries(users)) {
    if (user.page.isClosed()) continue;
    const path = join(tmpdir(), `volly-e2e-${prefix}${who}-failure.png`);
    await user.page.screenshot({ path }).catch(() => undefined);
    console.error(`${testName}: ${who}'s screen is in ${path}`);
  }
}
