import { join } from "node:path";
import type { VollyClient } from "@volly/client";
import { initNodeProfile, recoverNodeProfile } from "@volly/client/node";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { type ServerProcess, startServerProcess } from "../integration/helpers/server-process.js";
import { browserTestsEnabled, CHROMIUM_ARGS, CHROMIUM_PATH } from "./helpers/chromium.js";
import {
  closeDialog,
  createInviteLink,
  expectAccessible,
  onboard,
  openConversation,
  screenshot,
  unlock,
  watchErrors,
} from "./helpers/web-app.js";
import { writeQrY4m } from "./helpers/y4m.js";

const CLIENT_OPTIONS = { initialBackoffMs: 50, maxBackoffMs: 300 } as const;
const KDF = { memoryKiB: 1024, iterations: 1 } as const;

/**
 * Safety numbers end to end: a real `volly serve` process, alice in Chromium (its fake camera plays
 * a Y4M video of a QR code the test writes), erin on the SDK. Alice marks erin verified and sees the
 * badge; scans erin's code with the camera (a match verifies); erin's keys change (her account
 * restored on a new device) and alice's conversation warns, erin back to unverified.
 */
describe.skipIf(!browserTestsEnabled())("web verification in Chromium", () => {
  let server: ServerProcess;
  let browser: Browser;
  let page: Page;
  let erin: VollyClient;
  let erinKey = "";
  const home = tempDir("volly-web-verify-");
  const camera = join(home, "qr.y4m");
  const errors: string[] = [];

  beforeAll(async () => {
    server = await startServerProcess();
    // The fake camera's file is opened when a page asks for the camera: written once erin's code is known.
    writeQrY4m(camera, "no code yet");
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: [
        ...CHROMIUM_ARGS,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        `--use-file-for-fake-video-capture=${camera}`,
      ],
    });
    const context = await browser.newContext({
      viewport: { width: 1180, height: 760 },
      reducedMotion: "reduce",
      permissions: ["camera"],
    });
    page = await context.newPage();
    watchErrors(page, errors);
    await page.goto(server.url);
    await page.getByLabel("Your name").waitFor();
    await onboard(page, "Alice Verify", "246813");
    erin = await initNodeProfile(
      join(home, "erin"),
      { serverUrl: server.url, handle: "erin.verify", displayName: "Erin", pin: "123456", kdf: KDF },
      CLIENT_OPTIONS,
    );
    await erin.connect();
    erinKey = await erin.recovery.setUp();
    await erin.invites.accept(await createInviteLink(page));
    await closeDialog(page);
  }, 180_000);
  afterAll(async () => {
    await erin?.close();
    await browser?.close();
    await server?.stop();
  });

  it("marks a contact verified and shows the badge in the conversation", async () => {
    await openConversation(page, "Erin");
    const badge = page.getByRole("img", { name: "Verified contact" });
    expect(await badge.count()).toBe(0);
    await page.getByTestId("open-verify").click();
    const state = page.getByTestId("verify-state");
    await expect.poll(() => state.getAttribute("data-state"), { timeout: 30_000 }).toBe("unverified");
    await page.getByTestId("mark-verified").click();
    await expect.poll(() => state.getAttribute("data-state"), { timeout: 30_000 }).toBe("verified");
    await expectAccessible(page, "verification dialog");
    await closeDialog(page);
    await badge.waitFor({ timeout: 30_000 });
    await screenshot(page, "verified-contact");
  }, 120_000);

  it("scans the other person's QR code with the camera: a match verifies", async () => {
    await page.getByTestId("open-verify").click();
    await page.getByTestId("unmark-verified").click();
    const state = page.getByTestId("verify-state");
    await expect.poll(() => state.getAttribute("data-state"), { timeout: 30_000 }).toBe("unverified");
    // Erin's screen shows her code; the fake camera films it.
    writeQrY4m(camera, (await erin.verification.safetyNumber(`@${await aliceHandle()}`)).qrPayload);
    await page.getByTestId("scan-code").click();
    const result = page.getByTestId("scan-result");
    await result.waitFor({ timeout: 60_000 });
    expect(await result.textContent()).toContain("The codes match");
    await expect.poll(() => state.getAttribute("data-state"), { timeout: 30_000 }).toBe("verified");
    await closeDialog(page);
  }, 120_000);

  it("warns in the conversation when a verified contact's keys change", async () => {
    await page.getByRole("img", { name: "Verified contact" }).waitFor({ timeout: 30_000 });
    // Erin loses her device and restores her account with the recovery key: new keys.
    await erin.close();
    const restored = await recoverNodeProfile(
      join(home, "erin-restored"),
      { serverUrl: server.url, handle: "erin.verify", recoveryKey: erinKey, pin: "123456", kdf: KDF },
      CLIENT_OPTIONS,
    );
    erin = restored.client;
    await erin.connect();
    await page.reload();
    await unlock(page, "246813");
    await openConversation(page, "Erin");
    const banner = page.getByTestId("key-change-banner");
    await banner.waitFor({ timeout: 60_000 });
    expect(await banner.getAttribute("role")).toBe("alert");
    expect(await page.getByRole("img", { name: "Verified contact" }).count()).toBe(0);
    await screenshot(page, "key-change-warning");
    expect(errors).toEqual([]);
  }, 180_000);

  /** Alice's handle, as erin's directory shows the conversation's peer. */
  async function aliceHandle(): Promise<string> {
    const [conv] = await erin.conversations.list();
    return conv?.peerHandle ?? "";
  }
});
