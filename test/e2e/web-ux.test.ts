import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { VollyClient } from "@volly/client";
import { initNodeProfile } from "@volly/client/node";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { type ServerProcess, startServerProcess } from "../integration/helpers/server-process.js";
import { browserTestsEnabled, launchChromium } from "./helpers/chromium.js";
import {
  animationsSettled,
  closeDialog,
  confirmRecoveryKey,
  conversationItem,
  expectAccessible,
  messageWithText,
  openConversation,
  PAGE_POLL,
  screenshot,
  type WebUser,
  watchErrors,
} from "./helpers/web-app.js";

const WEB_INDEX = resolve(import.meta.dirname, "../../packages/web/dist/index.html");
const DAY_MS = 86_400_000;

/** A box as getBoundingClientRect gives it (CSS px). */
interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Scrolls the chat's timeline from its top down until the message with `text` is rendered: the
 * list is virtualized, only the rows near the viewport are in the DOM. Each step of 200 px waits two
 * frames, so the list has rendered the rows of its new place before it is looked at again: a busy
 * machine can otherwise scroll past the row before it was ever rendered, and end at the bottom.
 * A pass that reaches the bottom without the row starts again from the top, until 20 s are up; the
 * timeout's message says what the last pass saw.
 */
async function scrollUntilRendered(page: Page, text: string): Promise<void> {
  await expect
    .poll(
      () =>
        page.getByTestId("messages").evaluate(async (el, wanted) => {
          const frames = () =>
            new Promise<void>((done) => requestAnimationFrame(() => requestAnimationFrame(() => done())));
          const texts = () =>
            [...el.querySelectorAll("[data-testid=message]")].map((m) => (m.textContent ?? "").trim());
          el.scrollTo({ top: 0 });
          await frames();
          for (let step = 0; step < 200; step++) {
            if (texts().some((t) => t.includes(wanted))) return "rendered";
            const before = el.scrollTop;
            el.scrollBy({ top: 200 });
            await frames();
            if (el.scrollTop === before) break;
          }
          const shown = texts().map((t) => t.slice(0, 14));
          return `not rendered at scrollTop ${el.scrollTop} of ${el.scrollHeight} (client ${el.clientHeight}); rows: ${shown.join(" | ")}`;
        }, text),
      { timeout: 20_000 },
    )
    .toBe("rendered");
  await messageWithText(page, text).first().waitFor({ timeout: 5_000 });
}

/** True when two boxes share any area. */
function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/**
 * What a new user meets in the web app beyond the happy path: long names at the largest text size,
 * a phone-sized screen, a long scrolled history, a lost connection, onboarding's handle check and
 * removing someone from a group. One real `volly serve` child process, Debian's Chromium for alice,
 * and real SDK devices (Node) for bob and carol.
 */
describe.skipIf(!browserTestsEnabled())("web app UX in Chromium", () => {
  let server: ServerProcess;
  let browser: Browser;
  let alice: WebUser;
  const errors: string[] = [];
  const peers: Record<string, VollyClient> = {};

  /** A real SDK device (Node) with a quick KDF that reconnects fast after a server restart. */
  async function nodePeer(handle: string, displayName: string): Promise<VollyClient> {
    const client = await initNodeProfile(
      join(tempDir(), handle),
      { serverUrl: server.url, handle, displayName, pin: "123456", kdf: { memoryKiB: 1024, iterations: 1 } },
      { initialBackoffMs: 50, maxBackoffMs: 300 },
    );
    await client.connect();
    return client;
  }

  /** Stops the server (SIGTERM); if it has not exited in 30 s, fails with the end of its log. */
  async function stopServer(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the server did not stop in 30 s:\n${server.output().slice(-4000)}`)),
        30_000,
      );
    });
    try {
      await Promise.race([server.stop(), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sets alice's theme and text size through the settings dialog. */
  async function appearance(page: Page, theme: string, fontScale: string): Promise<void> {
    await page.getByTestId("open-settings").click();
    await page.getByTestId(`theme-${theme}`).check({ force: true });
    await page.getByTestId("font-size").selectOption(fontScale);
    await expect
      .poll(() => page.evaluate(() => document.documentElement.style.getPropertyValue("--font-scale")))
      .toBe(fontScale);
    await closeDialog(page);
    // colour transitions end before anything is measured or checked for contrast
    await animationsSettled(page);
  }

  beforeAll(async () => {
    expect(existsSync(WEB_INDEX), "packages/web/dist is missing: run `npm run build`").toBe(true);
    server = await startServerProcess();
    browser = await launchChromium();
    peers.bob = await nodePeer("bob.stone", "Bob Stone");
    peers.carol = await nodePeer("carol.reyes", "Carol Reyes");
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== "fail" || !alice || alice.page.isClosed()) return;
    const path = join(tmpdir(), "volly-e2e-ux-alice-failure.png");
    await alice.page.screenshot({ path }).catch(() => undefined);
    console.error(`${ctx.task.name}: alice's screen is in ${path}`);
  });

  afterAll(async () => {
    for (const peer of Object.values(peers)) await peer.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
  });

  it("onboarding: checking a free and a taken handle logs no error in the browser console", async () => {
    const context = await browser.newContext({ viewport: { width: 1180, height: 760 }, locale: "en-GB" });
    const page = await context.newPage();
    alice = { context, page, name: "Alice Liddell", handle: "", pin: "135790" };
    watchErrors(page, errors);
    // every console error and every failed request, 404s included (watchErrors lets 404s through)
    const consoleErrors: string[] = [];
    const failedRequests: string[] = [];
    page.on("console", (msg) => {
      if (msg.type() === "error") consoleErrors.push(msg.text());
    });
    page.on("response", (res) => {
      if (res.status() >= 400) failedRequests.push(`${res.status()} ${res.url()}`);
    });
    await page.goto(server.url);
    await page.getByLabel("Your name").fill(alice.name);
    const handle = page.getByLabel("Handle");
    const hint = page.locator("#handle-hint");
    await expect.poll(() => handle.inputValue()).toBe("alice.liddell");
    await expect.poll(() => hint.textContent(), { timeout: 15_000 }).toContain("Available.");
    // bob.stone is taken (bob registered from his SDK device)
    await handle.fill("bob.stone");
    await expect.poll(() => hint.textContent(), { timeout: 15_000 }).toContain("That handle is taken");
    await handle.fill("alice.liddell");
    await expect.poll(() => hint.textContent(), { timeout: 15_000 }).toContain("Available.");
    await page.getByLabel("Choose a 6-digit PIN").fill(alice.pin);
    await page.getByRole("button", { name: "Continue" }).click();
    await confirmRecoveryKey(page);
    await page.getByRole("button", { name: "Invite someone" }).first().waitFor({ timeout: 30_000 });
    alice.handle = "alice.liddell";
    expect(consoleErrors).toEqual([]);
    expect(failedRequests).toEqual([]);
  });

  it("setup: bob writes yesterday and today, carol says hi, alice makes the group Weekend trip", async () => {
    const bob = peers.bob as VollyClient;
    const carol = peers.carol as VollyClient;
    const withBob = await bob.resolveConversation(`@${alice.handle}`);
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(Date.now() - DAY_MS);
      for (let i = 1; i <= 12; i++) {
        await bob.messaging.send(
          withBob.id,
          `Yesterday ${i}: the trail notes, the map and the plan for later`,
        );
      }
    } finally {
      vi.useRealTimers();
    }
    for (let i = 1; i <= 20; i++) {
      await bob.messaging.send(
        withBob.id,
        `Today ${i}: a message long enough to wrap across the bubble once`,
      );
    }
    await carol.sendText(`@${alice.handle}`, "Hi Alice, it's Carol");
    const { page } = alice;
    await conversationItem(page, "Bob Stone").waitFor({ timeout: 30_000 });
    await conversationItem(page, "Carol Reyes").waitFor({ timeout: 30_000 });

    await page.getByTestId("open-new-group").click();
    await page.getByLabel("Group name").fill("Weekend trip");
    await page.locator("[data-testid=contact-checkbox][data-handle='bob.stone']").check();
    await page.locator("[data-testid=contact-checkbox][data-handle='carol.reyes']").check();
    await page.getByTestId("create-group").click();
    await page.getByTestId("new-group-dialog").waitFor({ state: "hidden", timeout: 30_000 });
    await expect
      .poll(() => page.getByTestId("chat-title").textContent(), { timeout: 30_000 })
      .toBe("Weekend trip");
    // carol answers in the group: its list entry shows the time, which leaves its name less room
    await waitFor(
      async () =>
        (await carol.conversations.summaries()).some((s) => s.conversation.title === "Weekend trip"),
      { ...PAGE_POLL, message: "carol to join the group", timeoutMs: 30_000 },
    );
    const trip = (await carol.conversations.summaries()).find((s) => s.conversation.title === "Weekend trip");
    await carol.messaging.send(trip?.conversation.id ?? "", "I'm in");
    await messageWithText(page, "I'm in").waitFor({ timeout: 20_000 });
  });

  it("sidebar: at the largest text size with high contrast, conversation names are shown in full", async () => {
    const { page } = alice;
    await appearance(page, "high-contrast", "1.5");
    for (const viewport of [
      { width: 1180, height: 760 },
      { width: 1024, height: 760 },
    ]) {
      await page.setViewportSize(viewport);
      for (const title of ["Weekend trip", "Bob Stone", "Carol Reyes"]) {
        const name = conversationItem(page, title).getByTestId("conversation-title");
        const shown = await name.evaluate((el) => ({
          text: el.textContent,
          scrollWidth: el.scrollWidth,
          clientWidth: el.clientWidth,
          scrollHeight: el.scrollHeight,
          clientHeight: el.clientHeight,
        }));
        expect(shown.text, `${title} at ${viewport.width} px`).toBe(title);
        expect(shown.scrollWidth, `${title} cut at ${viewport.width} px`).toBeLessThanOrEqual(
          shown.clientWidth,
        );
        expect(shown.scrollHeight, `${title} cut at ${viewport.width} px`).toBeLessThanOrEqual(
          shown.clientHeight,
        );
      }
    }
    // the open chat's composer follows the text size and the window: its placeholder is not cut off
    const composer = page.getByTestId("composer");
    for (const viewport of [
      { width: 1180, height: 760 },
      { width: 390, height: 844 },
      { width: 1180, height: 760 },
    ]) {
      await page.setViewportSize(viewport);
      await expect
        .poll(() => composer.evaluate((el) => el.scrollHeight <= el.clientHeight), {
          message: `the composer's placeholder is cut off at ${viewport.width} px`,
        })
        .toBe(true);
    }
    await expectAccessible(page, "conversation list (largest text, high contrast)");
    await screenshot(page, "ux-sidebar-largest-high-contrast");
  });

  it("chat header at 390 px: the presence text is whole and clear of the Verify button", async () => {
    const { page } = alice;
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole("button", { name: "Back to conversations" }).click();
    for (const [theme, fontScale] of [
      ["high-contrast", "1.5"],
      ["light", "1"],
    ] as const) {
      // on a phone the list (with Settings) and the chat take turns on the screen
      await appearance(page, theme, fontScale);
      await openConversation(page, "Bob Stone");
      await expect
        .poll(
          () => page.getByTestId("chat").locator("header [data-testid=presence]").getAttribute("data-status"),
          {
            timeout: 20_000,
          },
        )
        .toBe("online");
      const header = page.getByTestId("chat").locator("header");
      const presence = header.getByTestId("presence");
      const verify = page.getByTestId("open-verify");
      const [presenceBox, verifyBox, headerBox] = await Promise.all([
        presence.boundingBox(),
        verify.boundingBox(),
        header.boundingBox(),
      ]);
      expect(presenceBox && verifyBox && headerBox).toBeTruthy();
      const where = `theme ${theme}, text ${fontScale}`;
      expect(overlaps(presenceBox as Box, verifyBox as Box), `presence under Verify (${where})`).toBe(false);
      // not clipped: inside the header and the window, and no ancestor cuts it off
      const p = presenceBox as Box;
      const h = headerBox as Box;
      expect(p.x, where).toBeGreaterThanOrEqual(h.x);
      expect(p.x + p.width, where).toBeLessThanOrEqual(Math.min(h.x + h.width, 390));
      const clipped = await presence.evaluate((el) => {
        const box = el.getBoundingClientRect();
        for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
          const s = getComputedStyle(a);
          if (s.overflowX === "visible" && s.overflowY === "visible") continue;
          const r = a.getBoundingClientRect();
          if (
            box.left < r.left - 0.5 ||
            box.right > r.right + 0.5 ||
            box.top < r.top - 0.5 ||
            box.bottom > r.bottom + 0.5
          )
            return `${a.tagName.toLowerCase()}.${a.className}`;
        }
        return undefined;
      });
      expect(clipped, `presence clipped by an ancestor (${where})`).toBeUndefined();
      expect(await presence.textContent()).toBe("Online");
      // the title is whole too
      const title = page.getByTestId("chat-title");
      expect(await title.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
      await expectAccessible(page, `chat at 390 px (${where})`);
      await screenshot(page, `ux-chat-390-${theme}-${fontScale}`);
      await page.getByRole("button", { name: "Back to conversations" }).click();
    }
  });

  it("day labels: a scrolled history never shows a bubble's text under the sticky day label", async () => {
    const { page } = alice;
    await page.setViewportSize({ width: 1180, height: 760 });
    await openConversation(page, "Bob Stone");
    await messageWithText(page, "Today 20:").waitFor({ timeout: 20_000 });
    const results = [];
    for (const [theme, fontScale] of [
      ["light", "1"],
      ["high-contrast", "1.5"],
    ] as const) {
      await appearance(page, theme, fontScale);
      // scroll so that a message's text sits at the top of the list, under where the label sticks
      for (const text of ["Yesterday 6:", "Today 2:"]) {
        const target = messageWithText(page, text);
        await scrollUntilRendered(page, text);
        const outcome = await target.evaluate((row) => {
          const scroller = row.closest("[data-testid=messages]") as HTMLElement;
          const textEl = row.querySelector(".text") as HTMLElement;
          scroller.scrollTop += textEl.getBoundingClientRect().top - scroller.getBoundingClientRect().top - 6;
          return new Promise<{ under: number; visible: string[]; label: string | undefined; gap: number }>(
            (done) =>
              requestAnimationFrame(() => {
                const sc = scroller.getBoundingClientRect();
                const labels = [...scroller.querySelectorAll<HTMLElement>("[role=separator]")];
                // the label stuck at the top (the last one there paints over the earlier ones)
                const stuck = labels
                  .filter((l) => Math.abs(l.getBoundingClientRect().top - sc.top) < 24)
                  .at(-1);
                if (!stuck) return done({ under: 0, visible: ["no stuck label"], label: undefined, gap: 0 });
                const lr = stuck.getBoundingClientRect();
                const opaque = (el: Element | null): boolean => {
                  for (let e = el; e && stuck.contains(e); e = e.parentElement) {
                    const bg = getComputedStyle(e).backgroundColor;
                    const alpha = /rgba\([^)]*,\s*([\d.]+)\)/.exec(bg)?.[1];
                    if (bg !== "transparent" && (alpha === undefined || Number(alpha) === 1)) return true;
                  }
                  return false;
                };
                let under = 0;
                const visible: string[] = [];
                for (const t of scroller.querySelectorAll<HTMLElement>("[data-testid=message] .text")) {
                  for (const r of t.getClientRects()) {
                    const top = Math.max(r.top, lr.top, sc.top);
                    const bottom = Math.min(r.bottom, lr.bottom, sc.bottom);
                    if (bottom - top < 1) continue;
                    under++;
                    const y = (top + bottom) / 2;
                    for (let x = Math.max(r.left, lr.left) + 1; x < Math.min(r.right, lr.right) - 1; x += 3) {
                      const hit = document.elementFromPoint(x, y);
                      if (t.contains(hit) || !stuck.contains(hit) || !opaque(hit)) {
                        visible.push(
                          `"${(t.textContent ?? "").slice(0, 12)}" at ${Math.round(x)},${Math.round(y)}`,
                        );
                        break;
                      }
                    }
                  }
                }
                // no strip of text peeks out between the top of the list and the label
                done({ under, visible, label: stuck.getAttribute("aria-label") ?? "", gap: lr.top - sc.top });
              }),
          );
        });
        results.push({ theme, fontScale, text, ...outcome });
      }
      await screenshot(page, `ux-day-label-${theme}-${fontScale}`);
    }
    for (const r of results) {
      const where = `${r.text} (${r.theme}, ${r.fontScale})`;
      expect(r.label, where).toBe(r.text.startsWith("Today") ? "Today" : "Yesterday");
      expect(r.under, `no text under the label: the test scrolled wrong (${where})`).toBeGreaterThan(0);
      expect(r.visible, `text visible under the sticky label (${where})`).toEqual([]);
      expect(r.gap, `text can show above the sticky label (${where})`).toBeLessThanOrEqual(1);
    }
    await expectAccessible(page, "scrolled chat");
  });

  it("reconnecting: others' presence is not shown as Online while this device is disconnected, and comes back", async () => {
    const { page } = alice;
    const item = conversationItem(page, "Bob Stone").getByTestId("presence");
    const header = page.getByTestId("chat").locator("header [data-testid=presence]");
    await expect.poll(() => item.getAttribute("data-status"), { timeout: 20_000 }).toBe("online");
    const port = Number(new URL(server.url).port);
    await stopServer();
    const badge = page.getByTestId("connection");
    await waitFor(async () => (await badge.getAttribute("data-state")) === "reconnecting", {
      ...PAGE_POLL,
      message: "alice to notice",
      timeoutMs: 15_000,
    });
    for (const presence of [item, header]) {
      expect(await presence.getAttribute("data-status")).toBe("unknown");
      expect(await presence.textContent()).not.toMatch(/online|away|offline/i);
    }
    // the avatars' presence dots say nothing either
    expect(await page.locator("[data-testid=conversation-item] .dot.online").count()).toBe(0);
    expect(await page.getByTestId("chat").locator("header .dot.online").count()).toBe(0);
    await expectAccessible(page, "reconnecting, presence unknown");
    await screenshot(page, "ux-presence-unknown");
    server = await startServerProcess(server.dataDir, port);
    await waitFor(async () => (await badge.getAttribute("data-state")) === "connected", {
      ...PAGE_POLL,
      message: "alice to reconnect",
      timeoutMs: 30_000,
    });
    await expect.poll(() => item.getAttribute("data-status"), { timeout: 20_000 }).toBe("online");
    await expect.poll(() => header.getAttribute("data-status"), { timeout: 20_000 }).toBe("online");
    expect(await item.textContent()).toBe("Online");
  });

  it("groups: Remove asks for confirmation; Cancel and Escape keep the member, Remove removes", async () => {
    const { page } = alice;
    await openConversation(page, "Weekend trip");
    await page.getByTestId("open-group-details").click();
    const members = page.getByTestId("group-member");
    await expect.poll(() => members.count(), { timeout: 20_000 }).toBe(2);
    const remove = page.getByRole("button", { name: "Remove Carol Reyes" });
    const confirm = page.getByRole("alertdialog", { name: "Remove Carol Reyes from Weekend trip?" });

    // Cancel: nothing happens, the focus goes back to Remove
    await remove.click();
    await confirm.waitFor();
    expect(
      await confirm.getByRole("button", { name: "Cancel" }).evaluate((el) => el === document.activeElement),
    ).toBe(true);
    await expectAccessible(page, "remove-member confirmation");
    await screenshot(page, "ux-remove-confirm");
    await confirm.getByRole("button", { name: "Cancel" }).click();
    await confirm.waitFor({ state: "detached" });
    expect(await remove.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await page.getByTestId("group-dialog").isVisible()).toBe(true);

    // Escape: the same, and the group dialog stays open
    await page.keyboard.press("Enter");
    await confirm.waitFor();
    await page.keyboard.press("Escape");
    await confirm.waitFor({ state: "detached" });
    expect(await page.getByTestId("group-dialog").isVisible()).toBe(true);
    expect(await remove.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await members.count()).toBe(2);
    const stillThere = await (peers.bob as VollyClient).conversations.summaries();
    expect(
      stillThere.find((s) => s.conversation.title === "Weekend trip")?.conversation.members,
    ).toHaveLength(2);

    // Remove, confirmed: carol is gone
    await remove.click();
    await confirm.getByRole("button", { name: "Remove", exact: true }).click();
    await confirm.waitFor({ state: "detached" });
    await expect.poll(() => members.count(), { timeout: 30_000 }).toBe(1);
    expect(await members.first().getAttribute("data-handle")).toBe("bob.stone");
    await closeDialog(page);
  });

  it("no page errors", () => {
    expect(errors).toEqual([]);
  });
});
