import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../helpers/wait-for.js";
import { janusAvailable } from "../integration/helpers/janus.js";
import type { ServerProcess } from "../integration/helpers/server-process.js";
import { browserTestsEnabled } from "./helpers/chromium.js";
import { type MediaTestEnv, openMediaTestEnv } from "./helpers/media-env.js";
import { MEDIA_LOCK_HOOK_TIMEOUT_MS } from "./helpers/media-lock.js";
import {
  createVoiceCommunity,
  type Frames,
  joinVoiceCommunityByInvite,
  newVoiceUser,
  probeVoice,
  receivesAll,
} from "./helpers/voice.js";
import { PAGE_POLL, saveFailureScreens, type WebUser } from "./helpers/web-app.js";

const COMMUNITY = "Video Guild";
const CHANNEL = "studio";

/** A remote feed as the voice debug handle reports it, with its video. */
interface VideoFeed {
  accountId: string;
  energy: number;
  video: boolean;
  framesDecoded: number;
  frames: Frames & { openedVideo: number };
}

/** What the voice debug handle reports, with video. */
interface VideoProbe {
  own?: Frames;
  framesEncoded: number;
  videoOut: Record<string, unknown>;
  feeds: VideoFeed[];
}

const probe = (page: Page) => probeVoice(page) as unknown as Promise<VideoProbe>;

/**
 * Camera and screen share in a community voice channel, end to end: a real `volly serve` with a
 * managed Janus (VideoRoom, require_e2ee), Chromium's fake camera (a test pattern), fake screen
 * capture and fake microphone, three users in three browser contexts. One turns the camera on: the
 * two others decode video frames from it that their SFrame workers opened (Janus forwards sealed
 * frames only) and show a tile with the name under it; camera off takes the tile away while audio
 * still decodes; a screen share starts and stops the same way; a receiver holding other keys
 * opens and decodes none of the video.
 */
describe.runIf(janusAvailable() && browserTestsEnabled())(
  "web voice channel video (Chromium, real Janus)",
  () => {
    let server: ServerProcess;
    let browser: Browser;
    let env: MediaTestEnv | undefined;
    const errors: string[] = [];
    const users: Record<string, WebUser> = {};
    /** Account id per user name (read from the tiles). */
    const accounts = { ada: "", bob: "" };

    /** `page`'s feed of `accountId`. */
    async function feedOf(page: Page, accountId: string): Promise<VideoFeed> {
      const feed = (await probe(page)).feeds.find((f) => f.accountId === accountId);
      if (!feed) throw new Error(`no feed of ${accountId}`);
      return feed;
    }

    /** `viewer` decodes video from `accountId` (20 more frames) that its worker opened. */
    async function decodesVideo(viewer: WebUser, accountId: string, what: string): Promise<void> {
      await waitFor(async () => (await feedOf(viewer.page, accountId)).video, {
        ...PAGE_POLL,
        timeoutMs: 30_000,
        message: `${viewer.name} to receive ${what}`,
      });
      const before = await feedOf(viewer.page, accountId);
      let last = before;
      await waitFor(
        async () => {
          last = await feedOf(viewer.page, accountId);
          return (
            last.framesDecoded > before.framesDecoded + 20 &&
            last.frames.openedVideo > before.frames.openedVideo + 20
          );
        },
        { ...PAGE_POLL, timeoutMs: 30_000, message: `${viewer.name} to decode ${what}` },
      ).catch(async (error: Error) => {
        const sending = await Promise.all(
          Object.values(users).map(
            async (u) => `${u.name} ${JSON.stringify((await probe(u.page)).videoOut)}`,
          ),
        );
        throw new Error(
          `${error.message}: before ${JSON.stringify(before)}, last ${JSON.stringify(last)}; sending: ${sending.join("; ")}`,
        );
      });
    }

    /** `viewer` still receives audio energy from `accountId`, and no video. */
    async function hearsWithoutVideo(viewer: WebUser, accountId: string, who: string): Promise<void> {
      await viewer.page.locator(`[data-testid=voice-tile][data-account="${accountId}"]`).waitFor({
        state: "detached",
        timeout: 30_000,
      });
      await waitFor(async () => !(await feedOf(viewer.page, accountId)).video, {
        ...PAGE_POLL,
        timeoutMs: 30_000,
        message: `${viewer.name}'s feed of ${who} to be audio only`,
      });
      const before = await feedOf(viewer.page, accountId);
      await waitFor(async () => (await feedOf(viewer.page, accountId)).energy > before.energy + 1e-6, {
        ...PAGE_POLL,
        timeoutMs: 30_000,
        message: `${viewer.name} to hear ${who} again`,
      });
    }

    beforeAll(async () => {
      env = await openMediaTestEnv({ VOLLY_SFU: "managed", VOLLY_VOICE_GRACE_MS: "300" });
      ({ server, browser } = env);
    }, MEDIA_LOCK_HOOK_TIMEOUT_MS);

    afterEach(async (ctx) => {
      if (ctx.task.result?.state !== "fail") return;
      await saveFailureScreens(users, "voice-video-", ctx.task.name);
    });

    afterAll(async () => {
      await env?.close();
    });

    it("ada, bob and carol are in a voice channel and hear each other", async () => {
      const ada = await newVoiceUser(browser, server.url, server.url, "Ada Video", errors);
      users.ada = ada;
      const link = await createVoiceCommunity(ada.page, COMMUNITY, [CHANNEL]);
      users.bob = await joinVoiceCommunityByInvite(browser, server.url, link, "Bob Video", COMMUNITY, errors);
      users.carol = await joinVoiceCommunityByInvite(
        browser,
        server.url,
        link,
        "Carol Video",
        COMMUNITY,
        errors,
      );
      for (const user of Object.values(users)) {
        await user.context.grantPermissions(["microphone", "camera"], { origin: server.url });
        await user.page.getByRole("button", { name: `Join voice channel ${CHANNEL}` }).click();
        await user.page.getByTestId("voice-panel").waitFor({ timeout: 30_000 });
      }
      for (const [name, user] of Object.entries(users)) await receivesAll(user.page, 2, name);
    }, 240_000);

    it("ada turns her camera on (keyboard): bob and carol decode her sealed video and show her tile", async () => {
      const { ada, bob, carol } = users as { ada: WebUser; bob: WebUser; carol: WebUser };
      const camera = ada.page.getByRole("button", { name: "Camera" });
      expect(await camera.getAttribute("aria-pressed")).toBe("false");
      await camera.focus();
      await ada.page.keyboard.press("Enter");
      await expect.poll(() => camera.getAttribute("aria-pressed"), { timeout: 20_000 }).toBe("true");
      const own = ada.page.getByTestId("voice-tile");
      await own.waitFor({ timeout: 20_000 });
      accounts.ada = (await own.getAttribute("data-account")) ?? "";
      expect(await own.locator("figcaption").textContent()).toBe("Ada Video (you)");
      for (const viewer of [bob, carol]) {
        const tile = viewer.page.locator(`[data-testid=voice-tile][data-account="${accounts.ada}"]`);
        await tile.waitFor({ timeout: 30_000 });
        expect(await tile.locator("figcaption").textContent()).toBe("Ada Video");
        // the speaking ring is still there: ada's beep plays
        await tile.and(viewer.page.locator("[data-speaking=true]")).waitFor({ timeout: 30_000 });
        await decodesVideo(viewer, accounts.ada, "ada's camera");
      }
      const p = await probe(ada.page);
      expect(p.framesEncoded).toBeGreaterThan(0);
      expect(p.own?.sealed).toBeGreaterThan(0);
      expect(p.own?.plaintextVisible).toBe(0);
      expect(p.own?.unsealed).toBe(0);
    }, 120_000);

    it("ada turns her camera off: her tile goes away for the others, her audio keeps flowing", async () => {
      const { ada, bob, carol } = users as { ada: WebUser; bob: WebUser; carol: WebUser };
      const camera = ada.page.getByRole("button", { name: "Camera" });
      await camera.press("Enter");
      await expect.poll(() => camera.getAttribute("aria-pressed"), { timeout: 20_000 }).toBe("false");
      await ada.page.getByTestId("voice-video").waitFor({ state: "detached", timeout: 20_000 });
      await hearsWithoutVideo(bob, accounts.ada, "ada");
      await hearsWithoutVideo(carol, accounts.ada, "ada");
    }, 120_000);

    it("bob shares his screen and stops: the others decode it, then only hear him", async () => {
      const { ada, bob, carol } = users as { ada: WebUser; bob: WebUser; carol: WebUser };
      const share = bob.page.getByRole("button", { name: "Share screen" });
      await share.click();
      await expect.poll(() => share.getAttribute("aria-pressed"), { timeout: 20_000 }).toBe("true");
      const own = bob.page.getByTestId("voice-tile");
      await own.waitFor({ timeout: 20_000 });
      accounts.bob = (await own.getAttribute("data-account")) ?? "";
      const label = await bob.page.evaluate(() => {
        const video = document.querySelector("[data-testid=voice-tile] video") as HTMLVideoElement | null;
        return (video?.srcObject as MediaStream | null)?.getVideoTracks()[0]?.label ?? "";
      });
      expect(label).not.toBe("");
      expect(label).not.toMatch(/fake_device_0|camera/i);
      for (const viewer of [ada, carol]) {
        await viewer.page.locator(`[data-testid=voice-tile][data-account="${accounts.bob}"]`).waitFor({
          timeout: 30_000,
        });
        await decodesVideo(viewer, accounts.bob, "bob's screen");
      }
      await share.click();
      await expect.poll(() => share.getAttribute("aria-pressed"), { timeout: 20_000 }).toBe("false");
      await hearsWithoutVideo(ada, accounts.bob, "bob");
      await hearsWithoutVideo(carol, accounts.bob, "bob");
      for (const viewer of [ada, carol]) {
        const p = await probe(viewer.page);
        for (const feed of p.feeds)
          expect(Object.keys(feed.frames.dropped).filter((cause) => cause !== "replay")).toEqual([]);
      }
      expect(errors).toEqual([]);
    }, 120_000);

    it("the video Janus forwards is sealed: a receiver holding other keys opens and decodes none of it", async () => {
      const { ada, carol } = users as { ada: WebUser; carol: WebUser };
      await ada.page.getByRole("button", { name: "Camera" }).click();
      await decodesVideo(carol, accounts.ada, "ada's camera again");
      await carol.page.evaluate(() =>
        (
          window as unknown as { __vollyVoice: { forgetReceiveKeys(): void } }
        ).__vollyVoice.forgetReceiveKeys(),
      );
      const refused = async () => (await feedOf(carol.page, accounts.ada)).frames.dropped.authentication ?? 0;
      await waitFor(async () => (await refused()) > 30, {
        ...PAGE_POLL,
        timeoutMs: 20_000,
        message: "carol's worker to refuse 30 frames of ada",
      });
      const a = await feedOf(carol.page, accounts.ada);
      await waitFor(async () => (await refused()) > (a.frames.dropped.authentication ?? 0) + 30, {
        ...PAGE_POLL,
        timeoutMs: 20_000,
        message: "30 more refused frames",
      });
      const b = await feedOf(carol.page, accounts.ada);
      expect(b.frames.openedVideo).toBe(a.frames.openedVideo);
      expect(b.framesDecoded - a.framesDecoded).toBeLessThanOrEqual(1);
    }, 90_000);
  },
);
