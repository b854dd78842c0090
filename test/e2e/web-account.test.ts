import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type ServerProcess, startServerProcess } from "../integration/helpers/server-process.js";
import { browserTestsEnabled, launchChromium } from "./helpers/chromium.js";
import {
  closeDialog,
  conversationItem,
  expectAccessible,
  messageWithText,
  onboard,
  screenshot,
  sendMessage,
  unlock,
  watchErrors,
} from "./helpers/web-app.js";

/** Time for work that runs Argon2id or MLS commits in a browser on a contended machine (ms). */
const SLOW_MS = 60_000;

/**
 * The account in the web app end to end: a real `volly serve` process and Chromium, one browser
 * context per person (and one for alice's second browser). Tests run in order and build on each
 * other: alice messages bob by handle, renames herself, sets and removes a photo, links a second
 * browser and revokes it, locks and unlocks; bob signs out.
 */
describe.skipIf(!browserTestsEnabled())("the account in the web app (Chromium)", () => {
  let server: ServerProcess;
  let browser: Browser;
  const errors: string[] = [];
  const pages: Record<string, Page> = {};
  let aliceHandle = "";
  let bobHandle = "";

  async function newPage(who: string, watch = true): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({
      viewport: { width: 1180, height: 760 },
      locale: "en-GB",
      reducedMotion: "reduce",
    });
    const page = await context.newPage();
    if (watch) watchErrors(page, errors);
    await page.goto(server.url);
    await page.getByLabel("Your name").waitFor({ timeout: SLOW_MS });
    pages[who] = page;
    return { context, page };
  }

  async function openSettings(page: Page) {
    await page.getByTestId("open-settings").first().click();
    const dialog = page.getByTestId("settings-dialog");
    await dialog.waitFor();
    return dialog;
  }

  beforeAll(async () => {
    server = await startServerProcess();
    browser = await launchChromium();
    const alice = await newPage("alice");
    aliceHandle = await onboard(alice.page, "Alice Account", "246810");
    const bob = await newPage("bob");
    bobHandle = await onboard(bob.page, "Bob Account", "135791");
  }, 3 * SLOW_MS);

  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== "fail") return;
    for (const [who, page] of Object.entries(pages)) {
      if (page.isClosed()) continue;
      const path = `test-results/web-account-${who}-failure.png`;
      await page.screenshot({ path }).catch(() => undefined);
      console.error(`${ctx.task.name}: ${who}'s screen is in ${path}`);
    }
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("starts a conversation by @handle from New message, after saying an unknown handle is unknown", async () => {
    const alice = pages.alice!;
    const bob = pages.bob!;
    await alice.getByRole("button", { name: "New message" }).click();
    const dialog = alice.getByTestId("new-message-dialog");
    await dialog.waitFor();
    const to = dialog.getByLabel("To");
    await to.fill("@nobody.here");
    await expect
      .poll(() => dialog.getByTestId("new-message-error").textContent(), { timeout: 20_000 })
      .toBe("No one has the handle @nobody.here.");
    expect(await dialog.getByTestId("new-message-start").isDisabled()).toBe(true);

    await to.fill(`@${bobHandle}`);
    await dialog.getByTestId("new-message-found").waitFor({ timeout: 20_000 });
    expect(await dialog.getByTestId("new-message-found").textContent()).toContain("Bob Account");
    await expectAccessible(alice, "new message");
    await screenshot(alice, "new-message");
    await to.press("Enter"); // the keyboard starts it
    await dialog.waitFor({ state: "detached", timeout: SLOW_MS });
    await expect.poll(() => alice.getByTestId("chat-title").textContent()).toBe("Bob Account");
    await sendMessage(alice, "Hello Bob, found you by your handle");

    await conversationItem(bob, "Alice Account").click({ timeout: SLOW_MS });
    await messageWithText(bob, "Hello Bob, found you by your handle").waitFor({ timeout: SLOW_MS });
  });

  it("renames alice's profile; bob sees the new name", async () => {
    const alice = pages.alice!;
    const bob = pages.bob!;
    const settings = await openSettings(alice);
    await settings.getByTestId("profile-edit").click();
    const name = settings.getByLabel("Display name");
    expect(await name.inputValue()).toBe("Alice Account");
    await name.fill("Alice Renamed");
    await name.press("Enter");
    await expect.poll(() => settings.getByTestId("profile-display-name").textContent()).toBe("Alice Renamed");
    await closeDialog(alice);
    expect(await alice.locator(".sidebar .me .name").textContent()).toBe("Alice Renamed");

    await conversationItem(bob, "Alice Renamed").waitFor({ timeout: SLOW_MS });
    await expect.poll(() => bob.getByTestId("chat-title").textContent()).toBe("Alice Renamed");
    // the directory has it too: a lookup (what a new contact does) shows it
    const entry = (await (await fetch(`${server.url}/v1/accounts/${aliceHandle}`)).json()) as {
      displayName?: string;
    };
    expect(entry.displayName).toBe("Alice Renamed");
  });

  it("alice picks a photo in the profile editor; bob's conversation list shows it, then initials once she removes it", async () => {
    const alice = pages.alice!;
    const bob = pages.bob!;
    // a landscape JPEG drawn in the page, like a photo from a camera (cropped to its centre)
    const photo = await alice.evaluate(async () => {
      const canvas = new OffscreenCanvas(640, 400);
      const ctx = canvas.getContext("2d") as OffscreenCanvasRenderingContext2D;
      ctx.fillStyle = "#0f766e";
      ctx.fillRect(0, 0, 640, 400);
      ctx.fillStyle = "#ffd25e";
      ctx.beginPath();
      ctx.arc(320, 200, 120, 0, Math.PI * 2);
      ctx.fill();
      const blob = await canvas.convertToBlob({ type: "image/jpeg", quality: 0.9 });
      return [...new Uint8Array(await blob.arrayBuffer())];
    });
    const settings = await openSettings(alice);
    await settings
      .getByTestId("profile-photo-input")
      .setInputFiles({ name: "me.jpg", mimeType: "image/jpeg", buffer: Buffer.from(photo) });
    await settings.getByTestId("profile-photo-remove").waitFor({ timeout: SLOW_MS });
    const own = settings.getByTestId("avatar-image");
    expect(await own.getAttribute("alt")).toBe("Alice Renamed");
    await closeDialog(alice);

    const item = conversationItem(bob, "Alice Renamed");
    const avatar = item.locator('img[alt="Alice Renamed"]');
    await avatar.waitFor({ timeout: SLOW_MS });
    // the thumbnail at once, then the decrypted full image (256 × 256)
    await expect.poll(() => avatar.getAttribute("src"), { timeout: SLOW_MS }).toMatch(/^blob:/);
    await expect
      .poll(() => avatar.evaluate((img) => (img as HTMLImageElement).naturalWidth), { timeout: SLOW_MS })
      .toBe(256);

    const again = await openSettings(alice);
    await again.getByTestId("profile-photo-remove").click();
    await again.getByTestId("profile-photo-remove").waitFor({ state: "detached", timeout: SLOW_MS });
    await closeDialog(alice);
    await avatar.waitFor({ state: "detached", timeout: SLOW_MS });
    expect(await item.textContent()).toContain("AR");
  });

  it("links a second browser with approval, the new device's name shown first; lists it, then revokes it", async () => {
    const alice = pages.alice!;
    const settings = await openSettings(alice);
    await settings.getByTestId("link-new-device").click();
    const shown = settings.getByTestId("pairing-code-shown");
    await shown.waitFor({ timeout: 20_000 });
    const code = await shown.inputValue();
    expect(code).toMatch(/^volly-link:/);
    // the QR code is drawn once its module loaded
    await settings.getByRole("img", { name: "QR code of the pairing code" }).waitFor({ timeout: 20_000 });

    // the second browser: onboarding → "I already have an account"; its errors are not alice's
    const second = await newPage("alice2", false);
    await second.page.getByRole("button", { name: "I already have an account" }).click();
    await second.page.getByLabel("Pairing code").fill(code);
    await second.page.getByLabel("Name of this browser").fill("Second browser");
    await second.page.getByLabel("Choose a 6-digit PIN for this browser").fill("112233");
    await second.page.getByRole("button", { name: "Link this browser" }).click();
    const waitingPrint = second.page.getByTestId("link-fingerprint");
    await waitingPrint.waitFor({ timeout: SLOW_MS });

    // alice is asked, with the name the new device chose and the same fingerprint, before approval
    const claim = settings.getByTestId("link-claim");
    await claim.waitFor({ timeout: SLOW_MS });
    expect(await claim.textContent()).toContain("Link “Second browser” to your account?");
    expect(await settings.getByTestId("link-claim-fingerprint").textContent()).toBe(
      await waitingPrint.textContent(),
    );
    await expectAccessible(alice, "device link approval");
    await settings.getByTestId("link-approve").scrollIntoViewIfNeeded();
    await screenshot(alice, "link-device");
    await settings.getByRole("button", { name: "Approve “Second browser”" }).click();

    // the second browser is in, with alice's conversation with bob
    await second.page.getByRole("button", { name: "Invite someone" }).first().waitFor({ timeout: SLOW_MS });
    await conversationItem(second.page, "Bob Account").waitFor({ timeout: SLOW_MS });

    const device = settings.getByTestId("device").filter({ hasText: "Second browser" });
    await device.waitFor({ timeout: SLOW_MS });
    expect(await settings.getByTestId("device").count()).toBe(2);
    await device.getByRole("button", { name: "Revoke Second browser" }).click();
    const confirm = alice.getByTestId("confirm-revoke");
    await confirm.waitFor();
    expect(await confirm.getByRole("heading").textContent()).toBe("Revoke Second browser?");
    await confirm.getByTestId("confirm-revoke-confirm").click();
    await device.waitFor({ state: "detached", timeout: SLOW_MS });
    expect(await settings.getByTestId("device").count()).toBe(1);
    const account = (await (await fetch(`${server.url}/v1/accounts/${aliceHandle}`)).json()) as {
      devices: unknown[];
    };
    expect(account.devices).toHaveLength(1);
    await closeDialog(alice);
    await second.context.close();
    delete pages.alice2;
  });

  it("locks: the unlock screen says whose account it is before the PIN, then unlocks", async () => {
    const alice = pages.alice!;
    const settings = await openSettings(alice);
    await settings.getByRole("button", { name: "Lock", exact: true }).click();
    const who = alice.getByTestId("unlock-account");
    await who.waitFor({ timeout: SLOW_MS });
    expect(await who.textContent()).toContain("Alice Renamed");
    expect(await who.textContent()).toContain(`@${aliceHandle}`);
    await expectAccessible(alice, "unlock");
    // "Not you?" signs out without the PIN, after a warning; cancelled here
    await alice.getByTestId("unlock-sign-out").click();
    const confirm = alice.getByTestId("confirm-unlock-sign-out");
    await confirm.waitFor();
    expect(await confirm.textContent()).toContain(`@${aliceHandle}'s keys, conversations and history`);
    await confirm.getByRole("button", { name: "Cancel" }).click();
    await confirm.waitFor({ state: "detached" });
    await unlock(alice, "246810");
    await conversationItem(alice, "Bob Account").waitFor({ timeout: SLOW_MS });
  });

  it("signs out after a warning: the browser's copy is wiped and a reload shows onboarding", async () => {
    const bob = pages.bob!;
    const settings = await openSettings(bob);
    await settings.getByRole("button", { name: "Sign out" }).click();
    const confirm = bob.getByTestId("confirm-sign-out");
    await confirm.waitFor();
    expect(await confirm.textContent()).toContain("erased from this browser");
    // Cancel (focused first) keeps everything
    await confirm.getByRole("button", { name: "Cancel" }).click();
    await confirm.waitFor({ state: "detached" });
    await settings.getByRole("button", { name: "Sign out" }).click();
    await bob.getByTestId("confirm-sign-out-confirm").click();
    await bob.getByRole("heading", { name: "Create your account" }).waitFor({ timeout: SLOW_MS });
    await bob.reload();
    await bob.getByRole("heading", { name: "Create your account" }).waitFor({ timeout: SLOW_MS });
    expect(await bob.evaluate(() => localStorage.getItem("volly.account"))).toBeNull();
    const databases = await bob.evaluate(async () => (await indexedDB.databases()).map((d) => d.name));
    expect(databases).not.toContain("volly");
    expect(errors).toEqual([]);
  });
});
