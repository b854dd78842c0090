import { join } from "node:path";
import type { VollyClient } from "@volly/client";
import { initNodeProfile } from "@volly/client/node";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { type ServerProcess, startServerProcess } from "../integration/helpers/server-process.js";
import { browserTestsEnabled, launchChromium } from "./helpers/chromium.js";
import { closeDialog, createInviteLink, onboard, openConversation, watchErrors } from "./helpers/web-app.js";

/** `YYYY-MM-DDTHH:MM:SS` in the browser's (= this machine's) local time, for datetime-local. */
function localInput(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/**
 * "Send later" in Chromium against a real `volly serve`: alice schedules from the composer's dialog
 * (keyboard only), the message is listed, and erin (SDK) receives it once its time has come;
 * another one is cancelled from the list.
 */
describe.skipIf(!browserTestsEnabled())("web send later in Chromium", () => {
  let server: ServerProcess;
  let browser: Browser;
  let page: Page;
  let erin: VollyClient;
  const errors: string[] = [];

  beforeAll(async () => {
    server = await startServerProcess(undefined, 0, { VOLLY_SCHEDULED_POLL_MS: "200" });
    browser = await launchChromium();
    const context = await browser.newContext({
      viewport: { width: 1180, height: 760 },
      reducedMotion: "reduce",
    });
    page = await context.newPage();
    watchErrors(page, errors);
    await page.goto(server.url);
    await page.getByLabel("Your name").waitFor();
    await onboard(page, "Alice Later", "135790");
    erin = await initNodeProfile(
      join(tempDir(), "erin"),
      {
        serverUrl: server.url,
        handle: "erin.later",
        displayName: "Erin",
        pin: "123456",
        kdf: { memoryKiB: 1024, iterations: 1 },
      },
      { initialBackoffMs: 50, maxBackoffMs: 300 },
    );
    await erin.connect();
    await erin.invites.accept(await createInviteLink(page));
    await closeDialog(page);
  }, 180_000);
  afterAll(async () => {
    await erin?.close();
    await browser?.close();
    await server?.stop();
  });

  it("schedules from the composer with the keyboard, lists it, delivers it at its time; cancels another", async () => {
    await openConversation(page, "Erin");
    const opener = page.getByTestId("send-later");
    await opener.focus();
    await page.keyboard.press("Enter");
    const dialog = page.getByTestId("send-later-dialog");
    await dialog.waitFor();
    // whole seconds: the time the picker expresses (it has no milliseconds)
    const at = Math.floor((Date.now() + 25_000) / 1000) * 1000;
    await dialog.getByTestId("send-later-text").fill("coffee at 3?");
    await dialog.getByTestId("send-later-when").fill(localInput(at));
    await dialog.getByTestId("send-later-submit").press("Enter");
    const items = dialog.getByTestId("scheduled-item");
    await expect.poll(() => items.count(), { timeout: 30_000 }).toBe(1);
    expect(await items.first().textContent()).toContain("coffee at 3?");

    await dialog.getByTestId("send-later-text").fill("never sent");
    await dialog.getByTestId("send-later-when").fill(localInput(Date.now() + 3_600_000));
    await dialog.getByTestId("send-later-submit").press("Enter");
    await expect.poll(() => items.count(), { timeout: 30_000 }).toBe(2);
    await dialog.getByRole("button", { name: "Cancel scheduled message: never sent" }).press("Enter");
    await expect.poll(() => items.count(), { timeout: 30_000 }).toBe(1);

    await waitFor(
      async () =>
        (await erin.messaging.history((await erin.conversations.list())[0]?.id ?? "")).some(
          (m) => m.body.type === "text" && m.body.text === "coffee at 3?",
        ),
      { timeoutMs: 120_000, intervalMs: 250, message: "erin receives the scheduled message" },
    );
    expect(Date.now()).toBeGreaterThanOrEqual(at);
    expect(errors).toEqual([]);
  }, 300_000);
});
