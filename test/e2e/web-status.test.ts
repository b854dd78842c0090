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
  conversationItem,
  createInviteLink,
  expectAccessible,
  onboard,
  unlock,
  watchErrors,
} from "./helpers/web-app.js";

/**
 * The status picker end to end: a real `volly serve` process, alice in Chromium, erin on the SDK.
 * Alice picks a status with a custom text and "clear after" in the sidebar; erin sees it; erin's
 * statuses show in alice's list as shape and words.
 */
describe.skipIf(!browserTestsEnabled())("web status picker in Chromium", () => {
  let server: ServerProcess;
  let browser: Browser;
  let page: Page;
  let erin: VollyClient;
  let aliceHandle = "";
  const errors: string[] = [];

  beforeAll(async () => {
    server = await startServerProcess();
    browser = await launchChromium();
    const context = await browser.newContext({
      viewport: { width: 1180, height: 760 },
      reducedMotion: "reduce",
    });
    page = await context.newPage();
    watchErrors(page, errors);
    await page.goto(server.url);
    await page.getByLabel("Your name").waitFor();
    aliceHandle = await onboard(page, "Alice Status", "135790");
    erin = await initNodeProfile(
      join(tempDir(), "erin"),
      {
        serverUrl: server.url,
        handle: "erin.status",
        displayName: "Erin",
        pin: "123456",
        kdf: { memoryKiB: 1024, iterations: 1 },
      },
      { initialBackoffMs: 50, maxBackoffMs: 300 },
    );
    await erin.connect();
    await erin.invites.accept(await createInviteLink(page));
    await closeDialog(page);
  });
  afterAll(async () => {
    await erin?.close();
    await browser?.close();
    await server?.stop();
  });

  const presenceIn = (title: string) => conversationItem(page, title).getByTestId("presence");

  it("sets do not disturb with a custom text that clears after 1 hour; the contact sees it", async () => {
    await expect
      .poll(() => presenceIn("Erin").getAttribute("data-status"), { timeout: 30_000 })
      .toBe("online");
    const button = page.getByTestId("status-button").first();
    expect(await button.getAttribute("aria-label")).toBe("Set status: Online");
    await button.click();
    const picker = page.getByTestId("status-picker");
    await picker.waitFor();
    await expectAccessible(page, "status picker");
    await picker.getByLabel(/Do not disturb/).check();
    await picker.getByLabel("Custom status").fill("In a meeting");
    await picker.getByLabel("Clear after").selectOption("1h");
    const before = Date.now();
    await picker.getByTestId("status-save").click();
    await picker.waitFor({ state: "detached" });

    const own = page.getByTestId("own-status").first();
    await expect.poll(() => own.getAttribute("data-status")).toBe("dnd");
    expect(await own.textContent()).toBe("Do not disturb");
    expect(await page.getByTestId("own-status-text").first().textContent()).toBe("In a meeting");
    expect(await button.getAttribute("aria-label")).toBe("Set status: Do not disturb, In a meeting");

    await waitFor(() => erin.presence.statusOf(aliceHandle) === "dnd", { message: "erin sees alice dnd" });
    const seen = erin.presence.detailsOf(aliceHandle);
    expect(seen.text).toBe("In a meeting");
    expect(seen.until).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(seen.until).toBeLessThanOrEqual(Date.now() + 3_600_000);
  });

  it("shows a contact's idle, do not disturb and invisible as shape and words, not colour alone", async () => {
    const shapeIn = (title: string) => conversationItem(page, title).locator("[data-testid=presence] svg");
    await erin.presence.setStatus("idle", { text: "lunch" });
    await expect.poll(() => presenceIn("Erin").getAttribute("data-status"), { timeout: 20_000 }).toBe("idle");
    expect(await presenceIn("Erin").textContent()).toBe("Idle");
    expect(await shapeIn("Erin").getAttribute("data-shape")).toBe("idle");

    await erin.presence.setStatus("dnd");
    await expect.poll(() => presenceIn("Erin").getAttribute("data-status"), { timeout: 20_000 }).toBe("dnd");
    expect(await presenceIn("Erin").textContent()).toBe("Do not disturb");
    expect(await shapeIn("Erin").getAttribute("data-shape")).toBe("dnd");

    await erin.presence.setStatus("invisible");
    await expect
      .poll(() => presenceIn("Erin").getAttribute("data-status"), { timeout: 20_000 })
      .toBe("offline");
    expect(await presenceIn("Erin").textContent()).toBe("Offline");
  });

  it("keeps the status after a reload (held by the server), and clears the custom text from the picker", async () => {
    await page.reload();
    await unlock(page, "135790");
    const own = page.getByTestId("own-status").first();
    await expect.poll(() => own.getAttribute("data-status"), { timeout: 30_000 }).toBe("dnd");
    expect(await page.getByTestId("own-status-text").first().textContent()).toBe("In a meeting");
    await page.getByTestId("status-button").first().click();
    const picker = page.getByTestId("status-picker");
    await picker.getByRole("radio", { name: "Online", exact: false }).first().check();
    expect(await picker.getByRole("radio", { checked: true }).getAttribute("value")).toBe("online");
    await picker.getByTestId("status-clear").click();
    await picker.waitFor({ state: "detached" });
    await expect.poll(() => own.getAttribute("data-status")).toBe("online");
    expect(await page.getByTestId("own-status-text").count()).toBe(0);
    await waitFor(() => erin.presence.statusOf(aliceHandle) === "online", {
      message: "erin sees alice online",
    });
    expect(erin.presence.detailsOf(aliceHandle).text).toBeUndefined();
    expect(errors).toEqual([]);
  });
});
