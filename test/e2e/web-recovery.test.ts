import { join } from "node:path";
import type { VollyClient } from "@volly/client";
import { initNodeProfile } from "@volly/client/node";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { type ServerProcess, startServerProcess } from "../integration/helpers/server-process.js";
import { browserTestsEnabled, launchChromium } from "./helpers/chromium.js";
import {
  closeDialog,
  confirmRecoveryKey,
  createInviteLink,
  expectAccessible,
  messageWithText,
  openConversation,
  PAGE_POLL,
  screenshot,
  watchErrors,
} from "./helpers/web-app.js";

/**
 * The recovery key in the web app: shown once at onboarding (confirmed with "I stored it"), then —
 * the browser's data gone — "Restore with a recovery key" on a fresh browser brings the account
 * back: the conversation with erin (on the SDK) is rejoined, told that older messages cannot come
 * back, and erin's next message arrives.
 */
describe.skipIf(!browserTestsEnabled())("web recovery key in Chromium", () => {
  let server: ServerProcess;
  let browser: Browser;
  let erin: VollyClient;
  const errors: string[] = [];
  let handle = "";
  let recoveryKey = "";

  const newPage = async (): Promise<Page> => {
    const context = await browser.newContext({
      viewport: { width: 1180, height: 760 },
      reducedMotion: "reduce",
    });
    const page = await context.newPage();
    watchErrors(page, errors);
    await page.goto(server.url);
    await page.getByLabel("Your name").waitFor();
    return page;
  };

  beforeAll(async () => {
    server = await startServerProcess();
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await erin?.close();
    await browser?.close();
    await server?.stop();
  });

  it("shows the recovery key once at onboarding, then restores the account on a fresh browser", async () => {
    const first = await newPage();
    await first.getByLabel("Your name").fill("Alice Restore");
    const handleInput = first.getByLabel("Handle");
    await waitFor(async () => (await handleInput.inputValue()).length >= 3, {
      ...PAGE_POLL,
      message: "a handle",
    });
    handle = await handleInput.inputValue();
    await first.getByLabel("Choose a 6-digit PIN").fill("112233");
    await first.getByRole("button", { name: "Continue" }).click();
    await first.getByTestId("recovery-key-step").waitFor({ timeout: 30_000 });
    expect(await first.getByTestId("recovery-key-done").isDisabled()).toBe(true);
    await expectAccessible(first, "recovery key");
    await screenshot(first, "recovery-key");
    recoveryKey = await confirmRecoveryKey(first);
    expect(recoveryKey).toMatch(/^([0-9A-HJKMNP-TV-Z]{4}-){12}[0-9A-HJKMNP-TV-Z]{4}$/);
    await first.getByRole("button", { name: "Invite someone" }).first().waitFor({ timeout: 30_000 });

    erin = await initNodeProfile(
      join(tempDir(), "erin"),
      {
        serverUrl: server.url,
        handle: "erin.restore",
        displayName: "Erin",
        pin: "123456",
        kdf: { memoryKiB: 1024, iterations: 1 },
      },
      { initialBackoffMs: 50, maxBackoffMs: 300 },
    );
    await erin.connect();
    const conversation = await erin.invites.accept(await createInviteLink(first));
    await closeDialog(first);
    await openConversation(first, "Erin");
    await first.context().close();

    // Every device lost: a fresh browser, only the key.
    const page = await newPage();
    await page.getByTestId("open-restore").click();
    await expectAccessible(page, "restore with a recovery key");
    await page.getByLabel("Handle").fill(handle);
    await page.getByLabel("Recovery key").fill(recoveryKey);
    await page.getByLabel("Choose a 6-digit PIN for this device").fill("445566");
    await page.getByTestId("restore-submit").click();
    await page.getByRole("button", { name: "Invite someone" }).first().waitFor({ timeout: 60_000 });
    await openConversation(page, "Erin");
    const notice = page.getByTestId("recovery-notice");
    await notice.waitFor({ timeout: 30_000 });
    expect(await notice.textContent()).toContain("older messages cannot come back");

    await erin.sendText(conversation.id, "welcome back");
    await messageWithText(page, "welcome back").waitFor({ timeout: 60_000 });
    await screenshot(page, "restored-account");
    expect(errors).toEqual([]);
  }, 300_000);
});
