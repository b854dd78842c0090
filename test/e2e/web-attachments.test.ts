import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../helpers/wait-for.js";
import { type ServerProcess, startServerProcess } from "../integration/helpers/server-process.js";
import { browserTestsEnabled, FAKE_MEDIA_ARGS, launchChromium } from "./helpers/chromium.js";
import { hasExif, hasExifGps, withExifGps } from "./helpers/exif.js";
import {
  closeDialog,
  conversationItem,
  createInviteLink,
  expectAccessible,
  onboard,
  openConversation,
  PAGE_POLL,
  saveFailureScreens,
  screenshot,
  unlock,
  type WebUser,
  watchErrors,
} from "./helpers/web-app.js";

const WEB_INDEX = resolve(import.meta.dirname, "../../packages/web/dist/index.html");
/** The server's file limit in this test (VOLLY_MAX_UPLOAD_BYTES): 1 MiB. */
const MAX_UPLOAD_BYTES = 1024 * 1024;
/** The PDF alice attaches. */
const ITINERARY = "%PDF-1.4\n% a small itinerary\n".repeat(400);
/** The photo alice drops: 640 × 400. */
const PHOTO = { width: 640, height: 400 };

/** A JPEG drawn in the page (a sunset: sky, sun, sea), `PHOTO` sized. */
async function drawJpeg(page: Page): Promise<Uint8Array> {
  const bytes = await page.evaluate(async ({ width, height }) => {
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext("2d") as OffscreenCanvasRenderingContext2D;
    const sky = ctx.createLinearGradient(0, 0, 0, height);
    sky.addColorStop(0, "#1d3b6f");
    sky.addColorStop(0.6, "#f08a4b");
    ctx.fillStyle = sky;
    ctx.fillRect(0, 0, width, height);
    ctx.fillStyle = "#ffd25e";
    ctx.beginPath();
    ctx.arc(width * 0.62, height * 0.6, 70, 0, Math.PI * 2);
    ctx.fill();
    ctx.fillStyle = "#124a6b";
    ctx.fillRect(0, height * 0.66, width, height * 0.34);
    const blob = await canvas.convertToBlob({ type: "image/jpeg", quality: 0.9 });
    return [...new Uint8Array(await blob.arrayBuffer())];
  }, PHOTO);
  return new Uint8Array(bytes);
}

/**
 * A WebM video recorded in the page from an animated canvas (MediaRecorder, VP8): 320 × 180, at
 * least `frames` frames drawn (each one waited for), like a clip from a phone's camera app.
 */
async function recordWebm(page: Page, frames: number): Promise<Uint8Array> {
  const bytes = await page.evaluate(async (count) => {
    const canvas = document.createElement("canvas");
    canvas.width = 320;
    canvas.height = 180;
    const ctx = canvas.getContext("2d") as CanvasRenderingContext2D;
    const recorder = new MediaRecorder(canvas.captureStream(30), { mimeType: "video/webm;codecs=vp8" });
    const chunks: Blob[] = [];
    recorder.ondataavailable = (ev) => chunks.push(ev.data);
    recorder.start(100);
    for (let i = 0; i < count; i++) {
      ctx.fillStyle = `hsl(${(i * 7) % 360} 70% 50%)`;
      ctx.fillRect(0, 0, 320, 180);
      ctx.fillStyle = "#fff";
      ctx.fillRect(10 + i * 3, 70, 40, 40);
      await new Promise((r) => requestAnimationFrame(r));
    }
    await new Promise((r) => {
      recorder.onstop = r;
      recorder.stop();
    });
    return [...new Uint8Array(await new Blob(chunks).arrayBuffer())];
  }, frames);
  return new Uint8Array(bytes);
}

/** Drops `file` on the conversation as a drag from the desktop does: a DataTransfer with the file. */
async function dropFile(page: Page, file: { name: string; type: string; bytes: Uint8Array }): Promise<void> {
  await page.evaluate(
    ({ name, type, bytes }) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(bytes)], name, { type }));
      const target =
        document.querySelector("[data-testid=messages]") ?? document.querySelector("[data-testid=chat]");
      if (!target) throw new Error("no conversation on screen");
      for (const type of ["dragenter", "dragover", "drop"]) {
        target.dispatchEvent(
          new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }),
        );
      }
    },
    { name: file.name, type: file.type, bytes: [...file.bytes] },
  );
}

/**
 * Files in the web app against a real `volly serve` (1 MiB file limit), in Chromium with its fake
 * microphone: alice drops a photo carrying an EXIF GPS location (with alt text and a caption),
 * attaches a PDF with the button, records a voice message by holding the mic; a file over the
 * limit is refused before upload with the limit in MiB. Bob sees the thumbnail in a box of the
 * photo's aspect before the image loads, the image without any EXIF, the viewer and the gallery,
 * and plays the voice message; a dropped video plays in the viewer while it downloads. Playing
 * decrypted media needs the page's Content-Security-Policy to allow `media-src 'self' blob:` (object
 * URLs and MediaSource): without it Chromium logs a CSP violation and refuses to play.
 */
describe.skipIf(!browserTestsEnabled())("web attachments in Chromium", () => {
  let server: ServerProcess;
  let browser: Browser;
  const errors: string[] = [];
  /** The pages' console warnings (the app says there why a file goes as a plain file). */
  const warnings: string[] = [];
  const users: Record<string, WebUser> = {};

  async function newUser(name: string, pin: string, url?: string): Promise<WebUser> {
    const context = await browser.newContext({
      viewport: { width: 1180, height: 760 },
      locale: "en-GB",
      reducedMotion: "reduce",
      acceptDownloads: true,
    });
    await context.grantPermissions(["microphone"], { origin: server.url });
    const page = await context.newPage();
    watchErrors(page, errors, name);
    page.on("console", (msg) => {
      if (msg.type() === "warning") warnings.push(`${name}: ${msg.text()}`);
    });
    await page.goto(url ?? server.url);
    await page.getByLabel("Your name").waitFor();
    return { context, page, name, handle: "", pin };
  }

  beforeAll(async () => {
    expect(existsSync(WEB_INDEX), "packages/web/dist is missing: run `npm run build`").toBe(true);
    server = await startServerProcess(undefined, 0, { VOLLY_MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES) });
    browser = await launchChromium(FAKE_MEDIA_ARGS);
    const alice = await newUser("Alice Files", "135790");
    alice.handle = await onboard(alice.page, alice.name, alice.pin);
    const link = await createInviteLink(alice.page);
    await closeDialog(alice.page);
    const bob = await newUser("Bob Files", "246801", link);
    bob.handle = await onboard(bob.page, bob.name, bob.pin);
    users.alice = alice;
    users.bob = bob;
  }, 180_000);

  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== "fail") return;
    await saveFailureScreens(users, "attachments-", ctx.task.name);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("alice drops a photo with a GPS location, attaches a file, records a voice message; too large is refused before upload", async () => {
    const { alice } = users as { alice: WebUser };
    const page = alice.page;
    await conversationItem(page, "Bob Files").waitFor({ timeout: 30_000 });
    await openConversation(page, "Bob Files");
    const photo = withExifGps(await drawJpeg(page));
    expect(hasExifGps(photo)).toBe(true);

    // a file over the server's limit: refused with the limit in MiB, nothing sent
    await page.getByTestId("attach-input").setInputFiles({
      name: "huge.bin",
      mimeType: "application/octet-stream",
      buffer: Buffer.alloc(MAX_UPLOAD_BYTES + 100_000, 1),
    });
    await page.locator("[data-testid=tray-item][data-state=ready]").waitFor();
    await page.getByTestId("composer").press("Enter");
    await expect
      .poll(() => page.getByTestId("composer-error").textContent(), { timeout: 30_000 })
      .toMatch(/“?huge\.bin”? is too large: this server takes files up to 1 MiB\. Nothing was uploaded\./);
    expect(await page.getByTestId("message").count()).toBe(0);
    await page.getByRole("button", { name: "Remove huge.bin" }).click();

    // the photo, dropped on the conversation, with alt text and a caption
    await dropFile(page, { name: "beach.jpg", type: "image/jpeg", bytes: photo });
    const alt = page.getByTestId("tray-alt");
    await alt.waitFor({ timeout: 30_000 });
    await alt.fill("Sunset over the sea, the sun half down");
    await page.getByTestId("composer").fill("Holiday!");
    await page.getByTestId("composer").press("Enter");
    await page.getByTestId("attachment-tray").waitFor({ state: "detached", timeout: 30_000 });

    // a pasted image goes to the tray too (removed again here)
    await page.getByTestId("composer").evaluate(
      (el, bytes) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([new Uint8Array(bytes)], "pasted.jpg", { type: "image/jpeg" }));
        el.dispatchEvent(
          new ClipboardEvent("paste", { clipboardData: transfer, bubbles: true, cancelable: true }),
        );
      },
      [...photo],
    );
    await page.getByRole("button", { name: "Remove pasted.jpg" }).click();
    await page.getByTestId("attachment-tray").waitFor({ state: "detached" });

    // a file with the attach button's file input
    await page.getByTestId("attach-input").setInputFiles({
      name: "itinerary.pdf",
      mimeType: "application/pdf",
      buffer: Buffer.from(ITINERARY),
    });
    await page.locator("[data-testid=tray-item][data-state=ready]").waitFor();
    await page.getByTestId("send").click();
    await page.getByTestId("attachment-tray").waitFor({ state: "detached", timeout: 30_000 });

    // from the keyboard: Enter starts a locked recording, Escape throws it away
    const mic = page.getByTestId("voice-record");
    await mic.focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => page.getByTestId("voice-recording").getAttribute("data-mode")).toBe("locked");
    await expect
      .poll(() => page.getByTestId("voice-elapsed").textContent(), { timeout: 30_000 })
      .toMatch(/^0:0[1-9]$/);
    await page.keyboard.press("Escape");
    await page.getByTestId("voice-recording").waitFor({ state: "detached" });

    // a voice message: hold the mic, release once two seconds are recorded
    await mic.hover();
    await page.mouse.down();
    await expect
      .poll(() => page.getByTestId("voice-elapsed").textContent(), { timeout: 30_000 })
      .toMatch(/^0:0[2-9]$/);
    await page.mouse.up();
    await page.getByTestId("voice-recording").waitFor({ state: "detached" });

    // all three sent: the server stored them
    await waitFor(
      async () =>
        (await page
          .locator("[data-testid=message][data-direction=out] [data-testid=attachments]")
          .count()) === 3 && (await page.getByTestId("upload-progress").count()) === 0,
      { ...PAGE_POLL, timeoutMs: 90_000, message: "alice's three messages with files are sent" },
    );
    expect(errors).toEqual([]);
  }, 240_000);

  it("bob sees the photo's thumbnail in a box of its aspect, then the image; the viewer (its download has no EXIF) and the gallery", async () => {
    const { bob } = users as { bob: WebUser };
    const page = bob.page;
    const image = page.getByTestId("attachment-image");
    await image.waitFor({ timeout: 60_000 });
    // the box has the photo's aspect from the pointer, before the image is decrypted
    const before = await image.boundingBox();
    expect(before).not.toBeNull();
    expect((before?.width ?? 0) / (before?.height ?? 1)).toBeCloseTo(PHOTO.width / PHOTO.height, 1);
    expect(await image.getByTestId("attachment-thumbnail").getAttribute("src")).toMatch(
      /^data:image\/(webp|jpeg);base64,/,
    );
    await expect.poll(() => image.getAttribute("data-loaded"), { timeout: 60_000 }).toBe("true");
    const after = await image.boundingBox();
    expect(after).toEqual(before);

    // the image bob got: the photo's size and the sender's alt text
    const full = image.getByTestId("attachment-full");
    expect(await full.getAttribute("alt")).toBe("Sunset over the sea, the sun half down");
    expect(await full.evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight])).toEqual([
      PHOTO.width,
      PHOTO.height,
    ]);
    expect(await page.getByTestId("message").filter({ hasText: "Holiday!" }).count()).toBe(1);

    // the file, with its name and size
    const file = page.getByTestId("attachment-file");
    await file.waitFor({ timeout: 60_000 });
    expect(await file.textContent()).toContain("itinerary.pdf");
    const [saved] = await Promise.all([
      page.waitForEvent("download"),
      file.getByTestId("attachment-download").click(),
    ]);
    expect(saved.suggestedFilename()).toBe("itinerary.pdf");
    expect(readFileSync(await saved.path()).toString()).toBe(ITINERARY);
    await page.getByTestId("attachment-voice").waitFor({ timeout: 60_000 });
    await page.mouse.move(900, 640); // off the messages: no hover toolbar in the picture
    await screenshot(page, "attachments");
    await expectAccessible(page, "timeline with files");

    // the viewer: the image with its alt text, zoom, download under its name
    await image.click();
    const viewer = page.getByTestId("media-viewer");
    await viewer.getByTestId("viewer-image").waitFor();
    expect(await viewer.getByTestId("viewer-image").getAttribute("alt")).toBe(
      "Sunset over the sea, the sun half down",
    );
    expect(await viewer.getByTestId("viewer-next").isDisabled()).toBe(true);
    await screenshot(page, "media-viewer");
    await expectAccessible(page, "media viewer");
    await viewer.getByTestId("viewer-zoom-in").click();
    expect(await viewer.getByTestId("viewer-zoom").textContent()).toBe("150 %");
    // downloaded from the viewer: still a JPEG, without any EXIF (no GPS location, no camera)
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      viewer.getByTestId("viewer-download").click(),
    ]);
    expect(download.suggestedFilename()).toBe("beach.jpg");
    const bytes = new Uint8Array(readFileSync(await download.path()));
    expect([bytes[0], bytes[1]]).toEqual([0xff, 0xd8]);
    expect(hasExifGps(bytes)).toBe(false);
    expect(hasExif(bytes)).toBe(false);
    await closeDialog(page);

    // the gallery: one of each, by kind
    await page.getByTestId("open-gallery").click();
    const gallery = page.getByTestId("media-gallery");
    const items = gallery.getByTestId("gallery-item");
    await expect.poll(() => items.count(), { timeout: 30_000 }).toBe(1);
    for (const kind of ["video", "file", "voice"] as const) {
      await gallery.getByTestId(`gallery-tab-${kind}`).click();
      await expect.poll(() => items.count(), { timeout: 30_000 }).toBe(kind === "video" ? 0 : 1);
    }
    await closeDialog(page);
    expect(errors).toEqual([]);
  }, 240_000);

  it("bob plays the voice message: its time advances and it is marked played", async () => {
    const { bob } = users as { bob: WebUser };
    const page = bob.page;
    const voice = page.getByTestId("messages").getByTestId("attachment-voice");
    expect(await voice.getAttribute("data-played")).toBe("false");
    const play = voice.getByTestId("voice-play");
    await expect.poll(() => play.isEnabled(), { timeout: 30_000 }).toBe(true);
    await play.click();
    await expect
      .poll(() => voice.getByTestId("voice-audio").evaluate((a: HTMLAudioElement) => a.currentTime), {
        timeout: 30_000,
      })
      .toBeGreaterThan(0.2);
    expect(await voice.getAttribute("data-played")).toBe("true");
    await voice.getByTestId("voice-speed").click();
    expect(await voice.getByTestId("voice-audio").evaluate((a: HTMLAudioElement) => a.playbackRate)).toBe(
      1.5,
    );
    // the played mark is kept in this browser
    await page.reload();
    await unlock(page, bob.pin);
    await openConversation(page, "Alice Files");
    const again = page.getByTestId("attachment-voice");
    await again.waitFor({ timeout: 60_000 });
    expect(await again.getAttribute("data-played")).toBe("true");
    expect(errors).toEqual([]);
  }, 120_000);

  it("a video dropped by alice shows its poster and duration to bob and plays in the viewer while it downloads", async () => {
    const { alice, bob } = users as { alice: WebUser; bob: WebUser };
    const clip = await recordWebm(alice.page, 90);
    await dropFile(alice.page, { name: "clip.webm", type: "video/webm", bytes: clip });
    await alice.page.locator("[data-testid=tray-item][data-state=ready]").waitFor({ timeout: 30_000 });
    await alice.page.getByTestId("composer").press("Enter");
    await alice.page.getByTestId("attachment-tray").waitFor({ state: "detached", timeout: 30_000 });

    const video = bob.page.getByTestId("attachment-video");
    await video.waitFor({ timeout: 60_000 }).catch((err: unknown) => {
      throw new Error(`no video bubble; the pages warned: ${JSON.stringify(warnings)}`, { cause: err });
    });
    const box = await video.boundingBox();
    expect((box?.width ?? 0) / (box?.height ?? 1)).toBeCloseTo(320 / 180, 1);
    expect(await video.getAttribute("aria-label")).toMatch(/^Play video clip\.webm, 0:0[1-9]$/);
    await video.click();
    const player = bob.page.getByTestId("media-viewer").getByTestId("viewer-video");
    await expect.poll(() => player.getAttribute("data-mode"), { timeout: 30_000 }).toBe("stream");
    await expect
      .poll(() => player.evaluate((v: HTMLVideoElement) => v.currentTime), { timeout: 30_000 })
      .toBeGreaterThan(0.2);
    // Previous goes to the photo (the conversation's media, oldest first), Next back to the video
    const viewer = bob.page.getByTestId("media-viewer");
    await viewer.getByTestId("viewer-previous").click();
    await viewer.getByTestId("viewer-image").waitFor();
    expect(await viewer.getByTestId("viewer-next").isEnabled()).toBe(true);
    await bob.page.keyboard.press("ArrowRight");
    await viewer.getByTestId("viewer-video").waitFor();
    await closeDialog(bob.page);
    // the conversation list says what came, without a caption
    await expect
      .poll(() => conversationItem(bob.page, "Alice Files").textContent(), { timeout: 30_000 })
      .toContain("🎬 Video (0:0");
    expect(errors).toEqual([]);
  }, 120_000);

  it("a tap on the microphone locks the recording; a second one sends it", async () => {
    const { alice, bob } = users as { alice: WebUser; bob: WebUser };
    const page = alice.page;
    const voices = bob.page.getByTestId("messages").getByTestId("attachment-voice");
    const before = await voices.count();
    await page.getByTestId("voice-record").click();
    const recording = page.getByTestId("voice-recording");
    await expect.poll(() => recording.getAttribute("data-mode")).toBe("locked");
    await page.getByTestId("voice-cancel").waitFor();
    await expect
      .poll(() => page.getByTestId("voice-elapsed").textContent(), { timeout: 30_000 })
      .toMatch(/^0:0[1-9]$/);
    await page.getByRole("button", { name: "Stop and send the voice message" }).click();
    await recording.waitFor({ state: "detached" });
    await expect.poll(() => voices.count(), { timeout: 60_000 }).toBe(before + 1);
    expect(errors).toEqual([]);
  }, 120_000);
});
