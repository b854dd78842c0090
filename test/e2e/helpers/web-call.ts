import type { Browser, Page } from "playwright-core";
import { expect } from "vitest";
import { waitFor } from "../../helpers/wait-for.js";
import {
  closeDialog,
  conversationItem,
  createInviteLink,
  onboard,
  openConversation,
  PAGE_POLL,
  type WebUser,
  watchErrors,
} from "./web-app.js";

/** What the page's call reports (read through its debug handle, `window.__vollyCall`). */
export interface CallProbe {
  /** inbound-rtp video `framesDecoded` (0 without a video receiver). */
  framesDecoded: number;
  /** inbound-rtp audio `totalAudioEnergy`. */
  audioEnergy: number;
  /** The frame-crypto worker's counts (see FrameCryptoStats). */
  frames: {
    sealed: number;
    unsealed: number;
    opened: number;
    dropped: Record<string, number>;
    plaintextVisible: number;
  };
  /** The codec of the inbound video ("" without one). */
  videoCodec: string;
  /** How many inbound-rtp video streams the connection reports. */
  inboundVideo: number;
  /** The kinds of the tracks this side sends (senders with a track). */
  sending: string[];
}

/** Reads the call's getStats and frame-crypto counts on `page` (throws while there is no call). */
export function probe(page: Page): Promise<CallProbe> {
  return page.evaluate(async () => {
    const handle = (
      window as unknown as {
        __vollyCall?: { pc(): RTCPeerConnection | undefined; frameStats(): Promise<unknown> };
      }
    ).__vollyCall;
    const pc = handle?.pc();
    if (!handle || !pc) throw new Error("no call");
    const report = await pc.getStats();
    let framesDecoded = 0;
    let audioEnergy = 0;
    let codecId = "";
    let inboundVideo = 0;
    const codecs = new Map<string, string>();
    report.forEach((s: Record<string, unknown>) => {
      if (s.type === "codec") codecs.set(String(s.id), String(s.mimeType));
      if (s.type !== "inbound-rtp") return;
      if (s.kind === "video") {
        inboundVideo += 1;
        framesDecoded = Number(s.framesDecoded ?? 0);
        codecId = String(s.codecId ?? "");
      }
      if (s.kind === "audio") audioEnergy = Number(s.totalAudioEnergy ?? 0);
    });
    const frames = (await handle.frameStats()) as CallProbe["frames"];
    const sending = pc
      .getSenders()
      .map((s) => s.track?.kind)
      .filter((k): k is string => Boolean(k));
    return {
      framesDecoded,
      audioEnergy,
      frames,
      videoCodec: codecs.get(codecId) ?? "",
      inboundVideo,
      sending,
    };
  });
}

/** Waits until `user`'s side of the call decodes more than `frames` video frames and hears audio. */
export async function expectDecoding(user: WebUser, frames = 5, timeoutMs = 30_000): Promise<CallProbe> {
  await waitFor(
    async () => {
      const p = await probe(user.page);
      if (!(p.framesDecoded > frames && p.audioEnergy > 0)) throw new Error(JSON.stringify(p));
      return true;
    },
    { ...PAGE_POLL, timeoutMs, message: `${user.name} decodes video and hears audio` },
  );
  return probe(user.page);
}

/** Waits until the call view on `user`'s page reaches `phase` ("active" once media flows). */
export async function expectPhase(user: WebUser, phase: string, timeout = 30_000): Promise<void> {
  await expect
    .poll(() => user.page.getByTestId("call-view").getAttribute("data-phase"), { timeout })
    .toBe(phase);
}

/** Waits until the page's live region announces `text`. */
export async function expectAnnounced(page: Page, text: string | RegExp, timeout = 30_000): Promise<void> {
  await expect.poll(() => page.getByTestId("call-announcement").textContent(), { timeout }).toMatch(text);
}

/** Waits until the last call record in the open timeline has `outcome`; returns its text, trimmed. */
export async function lastCallRecord(page: Page, outcome: string, timeout = 30_000): Promise<string> {
  const line = page.getByTestId("call-event").last();
  await expect.poll(() => line.getAttribute("data-outcome"), { timeout }).toBe(outcome);
  return ((await line.textContent()) ?? "").trim();
}

/** Where call users are made: the browser (with fake media), the server's URL, an error sink. */
export interface CallWorld {
  browser: Browser;
  serverUrl: string;
  errors: string[];
}

/**
 * Opens the web app in a new browser context allowed to use the (fake) camera and microphone, with
 * the call debug handle (`window.__vollyCall`) on; waits for the onboarding screen.
 */
export async function newCallUser(
  world: CallWorld,
  name: string,
  pin: string,
  url?: string,
): Promise<WebUser> {
  const context = await world.browser.newContext({
    viewport: { width: 1180, height: 760 },
    locale: "en-GB",
    reducedMotion: "reduce",
  });
  await context.grantPermissions(["camera", "microphone"], { origin: world.serverUrl });
  // the app exposes its call to the test (window.__vollyCall) only with this flag
  await context.addInitScript(() => localStorage.setItem("volly.debug.calls", "1"));
  const page = await context.newPage();
  watchErrors(page, world.errors);
  await page.goto(url ?? world.serverUrl);
  await page.getByLabel("Your name").waitFor();
  return { context, page, name, handle: "", pin };
}

/** Onboards alice and bob (bob through alice's invite link); both have their DM open. */
export async function callPair(world: CallWorld): Promise<{ alice: WebUser; bob: WebUser }> {
  const alice = await newCallUser(world, "Alice Caller", "135790");
  alice.handle = await onboard(alice.page, alice.name, alice.pin);
  const link = await createInviteLink(alice.page);
  await closeDialog(alice.page);
  const bob = await newCallUser(world, "Bob Callee", "246801", link);
  bob.handle = await onboard(bob.page, bob.name, bob.pin);
  await expect
    .poll(() => bob.page.getByTestId("chat-title").textContent(), { timeout: 30_000 })
    .toMatch(/Alice/);
  await conversationItem(alice.page, "Bob Callee").waitFor({ timeout: 30_000 });
  await openConversation(alice.page, "Bob Callee");
  return { alice, bob };
}

/**
 * Links a second browser to `user`'s account (pairing code shown in settings, approved there) and
 * returns it; the new device is named `deviceName` and has the same conversations.
 */
export async function linkSecondDevice(
  world: CallWorld,
  user: WebUser,
  deviceName: string,
  conversationTitle: string,
): Promise<WebUser> {
  await user.page.getByTestId("open-settings").first().click();
  const settings = user.page.getByTestId("settings-dialog");
  await settings.waitFor();
  await settings.getByTestId("link-new-device").click();
  const shown = settings.getByTestId("pairing-code-shown");
  await shown.waitFor({ timeout: 20_000 });
  const code = await shown.inputValue();

  const second = await newCallUser(world, `${user.name} (${deviceName})`, "112233");
  await second.page.getByRole("button", { name: "I already have an account" }).click();
  await second.page.getByLabel("Pairing code").fill(code);
  await second.page.getByLabel("Name of this browser").fill(deviceName);
  await second.page.getByLabel("Choose a 6-digit PIN for this browser").fill(second.pin);
  await second.page.getByRole("button", { name: "Link this browser" }).click();
  await settings.getByRole("button", { name: `Approve “${deviceName}”` }).click({ timeout: 30_000 });
  await conversationItem(second.page, conversationTitle).waitFor({ timeout: 30_000 });
  await closeDialog(user.page);
  second.handle = user.handle;
  return second;
}
