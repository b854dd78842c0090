import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import type { BrowserContext, Locator, Page } from "playwright-core";
import { expect } from "vitest";
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

/** Polls `fn` until it returns true (or throws after `timeoutMs`). */
export async function until(fn: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await fn().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Collects page errors so a test can assert there were none. */
export function watchErrors(page: Page, into: string[]): void {
  page.on("pageerror", (err) => into.push(`pageerror: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error" && !/status of 404/.test(msg.text())) into.push(`console: ${msg.text()}`);
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
  await until(async () => (await handleInput.inputValue()).length >= 3, "a suggested handle");
  const handle = await handleInput.inputValue();
  await page.getByLabel("Choose a 6-digit PIN").fill(pin);
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByRole("button", { name: "Invite someone" }).first().waitFor({ timeout: 30_000 });
  return handle;
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

/** Opens the conversation titled `title` from the list. */
export async function openConversation(page: Page, title: string): Promise<void> {
  await conversationItem(page, title).click();
  await expect.poll(() => page.getByTestId("chat-title").textContent()).toBe(title);
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
