import type { Browser, Page } from "playwright-core";
import { expect } from "vitest";
import { waitFor } from "../../helpers/wait-for.js";
import { onboard, PAGE_POLL, type WebUser, watchErrors } from "./web-app.js";

/** The frame-crypto worker's counts (FrameCryptoStats of packages/web/src/lib/calls). */
export interface Frames {
  sealed: number;
  unsealed: number;
  opened: number;
  dropped: Record<string, number>;
  plaintextVisible: number;
}

/** What a page's voice connection reports (its debug handle, `window.__vollyVoice`). */
export interface VoiceProbe {
  joined: boolean;
  own?: Frames;
  /** The MLS epoch whose keys seal this device's frames now. */
  epoch?: number;
  /** Per remote feed: `epoch` is the MLS epoch whose keys open its frames now. */
  feeds: Array<{
    accountId: string;
    energy: number;
    level: number;
    packets: number;
    frames: Frames;
    epoch?: number;
  }>;
}

/** Reads the voice connection's getStats and frame-crypto counts on `page`. */
export function probeVoice(page: Page): Promise<VoiceProbe> {
  return page.evaluate(async () => {
    const handle = (window as unknown as { __vollyVoice?: { probe(): Promise<unknown> } }).__vollyVoice;
    if (!handle) throw new Error("no voice debug handle");
    return (await handle.probe()) as VoiceProbe;
  });
}

/** The names listed under voice channel `channel` on `page`. */
export async function inVoiceChannel(page: Page, channel: string): Promise<string[]> {
  const item = page.locator(`[data-testid=voice-channel-item][data-name="${channel}"]`);
  const list = item.locator("xpath=..").getByTestId("voice-member");
  return (await list.allTextContents()).map((t) => t.trim());
}

/**
 * A new browser context at `url` with the microphone granted and the voice debug handle on (the
 * calls debug flag), onboarded as `name`.
 */
export async function newVoiceUser(
  browser: Browser,
  serverUrl: string,
  url: string,
  name: string,
  errors: string[],
): Promise<WebUser> {
  const context = await browser.newContext({
    viewport: { width: 1180, height: 760 },
    locale: "en-GB",
    reducedMotion: "reduce",
  });
  await context.grantPermissions(["microphone"], { origin: serverUrl });
  await context.addInitScript(() => localStorage.setItem("volly.debug.calls", "1"));
  const page = await context.newPage();
  watchErrors(page, errors);
  await page.goto(url);
  await page.getByLabel("Your name").waitFor();
  const user: WebUser = { context, page, name, handle: "", pin: "135790" };
  user.handle = await onboard(page, name, user.pin);
  return user;
}

/** Creates community `community` on `page` and voice channels `channels`; returns an invite link. */
export async function createVoiceCommunity(
  page: Page,
  community: string,
  channels: string[],
): Promise<string> {
  await page.getByRole("button", { name: "Create a community" }).click();
  await page.getByLabel("Community name").fill(community);
  await page.getByTestId("create-community").click();
  await expect
    .poll(() => page.getByTestId("community-name").textContent(), { timeout: 30_000 })
    .toBe(community);
  for (const channel of channels) {
    await page.getByTestId("community-menu").click();
    await page.getByTestId("open-create-channel").click();
    await page.getByTestId("channel-kind-voice").check();
    await page.getByLabel("Channel name").fill(channel);
    await page.getByTestId("create-channel").click();
    await page.getByRole("button", { name: `Join voice channel ${channel}` }).waitFor({ timeout: 30_000 });
  }
  await page.getByTestId("community-menu").click();
  await page.getByTestId("open-community-invite").click();
  await page.getByTestId("create-community-invite").click();
  const link = await page.getByTestId("community-invite-link").inputValue();
  await page.keyboard.press("Escape");
  return link;
}

/** A new user opens the invite's address and joins community `community`. */
export async function joinVoiceCommunityByInvite(
  browser: Browser,
  serverUrl: string,
  link: string,
  name: string,
  community: string,
  errors: string[],
): Promise<WebUser> {
  const user = await newVoiceUser(browser, serverUrl, link, name, errors);
  await user.page.getByTestId("join-community-dialog").getByTestId("join-community").click();
  await expect
    .poll(() => user.page.getByTestId("community-name").textContent(), { timeout: 30_000 })
    .toBe(community);
  return user;
}

/**
 * Waits until `page` receives audio it decrypted from `others` participants: that many feeds, each
 * with inbound energy and frames the worker opened; checks its own frames left sealed.
 */
export async function receivesAll(
  page: Page,
  others: number,
  who: string,
  timeoutMs = 45_000,
): Promise<VoiceProbe> {
  await waitFor(
    async () => {
      const p = await probeVoice(page);
      return (
        p.feeds.length === others &&
        p.feeds.every((f) => f.energy > 0 && f.frames.opened > 0 && f.packets > 0)
      );
    },
    { ...PAGE_POLL, timeoutMs, message: `${who} to receive decrypted audio from ${others}` },
  );
  const p = await probeVoice(page);
  expect(p.own?.sealed).toBeGreaterThan(0);
  expect(p.own?.plaintextVisible).toBe(0);
  expect(p.own?.unsealed).toBe(0);
  return p;
}
