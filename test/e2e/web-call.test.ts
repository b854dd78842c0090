import type { Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../helpers/wait-for.js";
import type { ServerProcess } from "../integration/helpers/server-process.js";
import { browserTestsEnabled } from "./helpers/chromium.js";
import { type MediaTestEnv, openMediaTestEnv } from "./helpers/media-env.js";
import { MEDIA_LOCK_HOOK_TIMEOUT_MS } from "./helpers/media-lock.js";
import {
  expectAccessible,
  PAGE_POLL,
  saveFailureScreens,
  screenshot,
  type WebUser,
} from "./helpers/web-app.js";
import { callPair, probe } from "./helpers/web-call.js";

/**
 * A 1:1 video call in the web app, end to end: a real `volly serve`, Debian's Chromium with fake
 * camera and microphone (a test pattern and a beep), alice and bob in two browser contexts. Alice
 * calls from the DM header, bob's device rings (announced, keyboard-operable) and he accepts; both
 * sides decode video and hear audio through SFrame-sealed frames (RTCRtpScriptTransform); once
 * bob's receiving side holds a wrong key, no frame of alice's decodes; the hang-up leaves the call
 * record in both timelines.
 */
describe.skipIf(!browserTestsEnabled())("web 1:1 call in Chromium", () => {
  let server: ServerProcess;
  let browser: Browser;
  const errors: string[] = [];
  const users: Record<string, WebUser> = {};

  let env: MediaTestEnv | undefined;

  beforeAll(async () => {
    env = await openMediaTestEnv();
    ({ server, browser } = env);
  }, MEDIA_LOCK_HOOK_TIMEOUT_MS);

  it("alice and bob have a DM (alice invites bob)", async () => {
    Object.assign(users, await callPair({ browser, serverUrl: server.url, errors }));
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== "fail") return;
    await saveFailureScreens(users, "call-", ctx.task.name);
  });

  afterAll(async () => {
    await env?.close();
  });

  it("alice video-calls bob; bob's ring is announced and answered from the keyboard; both decode sealed media", async () => {
    const { alice, bob } = users as { alice: WebUser; bob: WebUser };
    await alice.page.getByRole("button", { name: "Video call Bob Callee" }).click();
    await alice.page.getByTestId("call-view").waitFor();

    const ring = bob.page.getByTestId("incoming-call");
    await ring.waitFor({ timeout: 30_000 });
    await expect
      .poll(() => bob.page.getByTestId("call-announcement").textContent())
      .toBe("Incoming video call from Alice Caller");
    expect(await bob.page.getByTestId("call-announcement").getAttribute("aria-live")).toBe("assertive");
    await expectAccessible(bob.page, "incoming call");
    // focus is on Accept: the keyboard answers
    await expect
      .poll(() => bob.page.evaluate(() => document.activeElement?.getAttribute("aria-label")))
      .toBe("Accept the video call from Alice Caller");
    await bob.page.keyboard.press("Enter");

    for (const user of [alice, bob]) {
      await expect
        .poll(() => user.page.getByTestId("call-view").getAttribute("data-phase"), { timeout: 30_000 })
        .toBe("active");
    }
    for (const user of [alice, bob]) {
      await waitFor(
        async () => {
          const p = await probe(user.page);
          if (!(p.framesDecoded > 5 && p.audioEnergy > 0)) throw new Error(JSON.stringify(p));
          return true;
        },
        { ...PAGE_POLL, timeoutMs: 30_000, message: `${user.name} decodes video and hears audio` },
      );
      const p = await probe(user.page);
      expect(p.frames.sealed).toBeGreaterThan(0);
      expect(p.frames.opened).toBeGreaterThan(0);
      expect(p.frames.plaintextVisible).toBe(0);
      // every frame that came opened: none unsealed or under another key (a retransmitted frame
      // may come twice; its second copy is refused as a replay, RFC 9605 §9.3)
      expect(
        Object.keys(p.frames.dropped).filter((cause) => cause !== "replay"),
        JSON.stringify(p.frames),
      ).toEqual([]);
      expect(p.videoCodec).toBe("video/VP8");
    }
    await expect.poll(() => alice.page.getByTestId("call-status").textContent()).toMatch(/0:\d\d/);
  });

  it("the in-call view is accessible (screenshot for the README)", async () => {
    const { alice } = users as { alice: WebUser };
    await expectAccessible(alice.page, "in-call view");
    for (const name of ["Mute microphone", "Turn camera off", "Share screen", "Hang up"]) {
      await alice.page.getByRole("button", { name }).waitFor();
    }
    await screenshot(alice.page, "call");
  });

  it("mute and camera off are toggle buttons, and media keeps flowing after them", async () => {
    const { alice, bob } = users as { alice: WebUser; bob: WebUser };
    const mute = alice.page.getByRole("button", { name: "Mute microphone" });
    await mute.click();
    expect(await mute.getAttribute("aria-pressed")).toBe("true");
    await mute.click();
    expect(await mute.getAttribute("aria-pressed")).toBe("false");
    const camera = alice.page.getByRole("button", { name: "Turn camera off" });
    await camera.press("Enter");
    expect(await camera.getAttribute("aria-pressed")).toBe("true");
    await camera.press("Enter");
    expect(await camera.getAttribute("aria-pressed")).toBe("false");
    const before = (await probe(bob.page)).framesDecoded;
    await waitFor(async () => (await probe(bob.page)).framesDecoded > before + 10, {
      ...PAGE_POLL,
      timeoutMs: 20_000,
      message: "bob still decodes alice's video",
    });
  });

  it("screen share starts and stops without breaking the call; bob decodes frames throughout", async () => {
    const { alice, bob } = users as { alice: WebUser; bob: WebUser };
    const share = alice.page.getByRole("button", { name: "Share screen" });
    const decoded = async () => (await probe(bob.page)).framesDecoded;
    await share.click();
    await expect.poll(() => share.getAttribute("aria-pressed"), { timeout: 20_000 }).toBe("true");
    const sharing = await alice.page.evaluate(() => {
      const pc = (window as unknown as { __vollyCall: { pc(): RTCPeerConnection } }).__vollyCall.pc();
      return pc.getSenders().find((s) => s.track?.kind === "video")?.track?.label ?? "";
    });
    expect(sharing).not.toMatch(/fake_device_0|camera/i);
    const during = await decoded();
    await waitFor(async () => (await decoded()) > during + 10, {
      ...PAGE_POLL,
      timeoutMs: 20_000,
      message: "bob decodes the shared screen",
    });
    await share.click();
    await expect.poll(() => share.getAttribute("aria-pressed")).toBe("false");
    const after = await decoded();
    await waitFor(async () => (await decoded()) > after + 10, {
      ...PAGE_POLL,
      timeoutMs: 20_000,
      message: "bob decodes the camera again",
    });
    const p = await probe(bob.page);
    expect(
      Object.keys(p.frames.dropped).filter((cause) => cause !== "replay"),
      JSON.stringify(p.frames),
    ).toEqual([]);
  });

  it("frames on the wire are sealed: with a wrong key bob's side opens none and decodes no more video", async () => {
    const { bob } = users as { bob: WebUser };
    await bob.page.evaluate(() =>
      (window as unknown as { __vollyCall: { forgetReceiveKeys(): void } }).__vollyCall.forgetReceiveKeys(),
    );
    const refused = async () => (await probe(bob.page)).frames.dropped.authentication ?? 0;
    await waitFor(async () => (await refused()) > 30, {
      ...PAGE_POLL,
      timeoutMs: 20_000,
      message: "bob's side refuses alice's frames",
    });
    const stalled = await probe(bob.page);
    const dropped = stalled.frames.dropped.authentication ?? 0;
    await waitFor(async () => (await refused()) > dropped + 60, {
      ...PAGE_POLL,
      timeoutMs: 20_000,
      message: "more of alice's frames arrive",
    });
    const after = await probe(bob.page);
    expect(after.framesDecoded).toBe(stalled.framesDecoded);
    expect(after.frames.opened).toBe(stalled.frames.opened);
  });

  it("hanging up ends the call on both sides; both timelines and conversation lists show the call with its duration", async () => {
    const { alice, bob } = users as { alice: WebUser; bob: WebUser };
    await alice.page.getByRole("button", { name: "Hang up" }).click();
    for (const user of [alice, bob]) {
      await user.page.getByTestId("call-view").waitFor({ state: "detached", timeout: 20_000 });
      const line = user.page.getByTestId("call-event").last();
      await line.waitFor({ timeout: 30_000 });
      expect(await line.getAttribute("data-outcome")).toBe("ended");
      expect(await line.textContent()).toMatch(/Video call, \d+:\d\d/);
      // The conversation list previews the call as the last message.
      await expect
        .poll(() => user.page.getByTestId("conversation-preview").first().textContent(), { timeout: 20_000 })
        .toMatch(/^Video call, \d+:\d\d$/);
    }
    expect(errors).toEqual([]);
  });
});
