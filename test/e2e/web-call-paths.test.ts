import type { Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../helpers/wait-for.js";
import type { ServerProcess } from "../integration/helpers/server-process.js";
import { browserTestsEnabled } from "./helpers/chromium.js";
import { type MediaTestEnv, openMediaTestEnv } from "./helpers/media-env.js";
import { MEDIA_LOCK_HOOK_TIMEOUT_MS } from "./helpers/media-lock.js";
import {
  expectAccessible,
  messageWithText,
  openConversation,
  PAGE_POLL,
  saveFailureScreens,
  sendMessage,
  type WebUser,
} from "./helpers/web-app.js";
import {
  callPair,
  expectAnnounced,
  expectDecoding,
  expectPhase,
  lastCallRecord,
  linkSecondDevice,
  probe,
} from "./helpers/web-call.js";

/** How long the missed-call test lets a call ring (ms; the app's debug setting, default 45 s). */
const SHORT_RING_MS = 3_000;

/**
 * The 1:1 call paths besides the answered video call (`web-call.test.ts`), in the web app against a
 * real `volly serve` and Chromium with fake media: a voice call (audio both ways, no video at all),
 * a declined call, a call nobody answers (a shortened ring, through the app's debug setting), the
 * call settings switching camera and microphone mid-call (replaceTrack: frames stay sealed and
 * decode), the connection-quality indicator and an ICE restart (through the debug handle; the
 * restart's offer goes over the call signaling), and a callee with two linked browsers — both
 * ring, one answers, the other stops.
 */
describe.skipIf(!browserTestsEnabled())("web 1:1 call paths in Chromium", () => {
  let server: ServerProcess;
  let browser: Browser;
  const errors: string[] = [];
  const users: Record<string, WebUser> = {};

  let env: MediaTestEnv | undefined;

  beforeAll(async () => {
    env = await openMediaTestEnv();
    ({ server, browser } = env);
  }, MEDIA_LOCK_HOOK_TIMEOUT_MS);

  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== "fail") return;
    await saveFailureScreens(users, "call-paths-", ctx.task.name);
    // a call left open by the failed test would fail the next ones too
    for (const user of Object.values(users)) {
      await user.page
        .getByTestId("call-hangup")
        .click({ timeout: 2_000 })
        .catch(() => undefined);
      await user.page
        .getByTestId("decline-call")
        .click({ timeout: 2_000 })
        .catch(() => undefined);
    }
  });

  afterAll(async () => {
    await env?.close();
  });

  it("alice and bob have a DM (alice invites bob)", async () => {
    Object.assign(users, await callPair({ browser, serverUrl: server.url, errors }));
  });

  it("a voice call: both sides hear audio through sealed frames, no video is sent or received; hang-up records it", async () => {
    const { alice, bob } = users as { alice: WebUser; bob: WebUser };
    await alice.page.getByRole("button", { name: "Voice call Bob Callee" }).click();
    await bob.page.getByTestId("incoming-call").waitFor({ timeout: 30_000 });
    await expectAnnounced(bob.page, "Incoming call from Alice Caller");
    await bob.page.getByRole("button", { name: "Accept the call from Alice Caller" }).click();
    for (const user of [alice, bob]) await expectPhase(user, "active");
    for (const user of [alice, bob]) {
      await waitFor(
        async () => {
          const p = await probe(user.page);
          if (!(p.audioEnergy > 0 && p.frames.opened > 0)) throw new Error(JSON.stringify(p));
          return true;
        },
        { ...PAGE_POLL, timeoutMs: 30_000, message: `${user.name} hears the other side` },
      );
      const p = await probe(user.page);
      expect(p.sending).toEqual(["audio"]);
      expect(p.inboundVideo).toBe(0);
      expect(p.frames.plaintextVisible).toBe(0);
      const tracks = await user.page.evaluate(() => {
        const video = document.querySelector<HTMLVideoElement>('[data-testid="remote-video"]');
        const stream = video?.srcObject as MediaStream | null;
        return stream?.getTracks().map((t) => t.kind) ?? [];
      });
      expect(tracks).toEqual(["audio"]);
      // a voice call has no camera or screen-share control
      expect(await user.page.getByRole("button", { name: "Turn camera off" }).count()).toBe(0);
    }
    await bob.page.getByRole("button", { name: "Hang up" }).click();
    for (const user of [alice, bob]) {
      await user.page.getByTestId("call-view").waitFor({ state: "detached", timeout: 20_000 });
      expect(await lastCallRecord(user.page, "ended")).toMatch(/^Call, \d+:\d\d/);
    }
  });

  it("bob declines: alice is told, her call view closes and both timelines say 'Declined video call'", async () => {
    const { alice, bob } = users as { alice: WebUser; bob: WebUser };
    await alice.page.getByRole("button", { name: "Video call Bob Callee" }).click();
    await expect.poll(() => alice.page.getByTestId("call-status").textContent()).toMatch(/Ringing/);
    await bob.page.getByTestId("incoming-call").waitFor({ timeout: 30_000 });
    // Tab from Accept reaches Decline; Enter presses it
    await bob.page.keyboard.press("Shift+Tab");
    await expect
      .poll(() => bob.page.evaluate(() => document.activeElement?.getAttribute("aria-label")))
      .toBe("Decline the video call from Alice Caller");
    await bob.page.keyboard.press("Enter");
    await bob.page.getByTestId("incoming-call").waitFor({ state: "detached" });
    await expectAnnounced(bob.page, "Declined the call from Alice Caller.");
    await expectAnnounced(alice.page, "Bob Callee declined the call.");
    await alice.page.getByTestId("call-view").waitFor({ state: "detached", timeout: 20_000 });
    for (const user of [alice, bob]) {
      expect(await lastCallRecord(user.page, "declined")).toMatch(/^Declined video call/);
    }
  });

  it("nobody answers: after the ring timeout both sides stop ringing and show 'Missed video call'", async () => {
    const { alice, bob } = users as { alice: WebUser; bob: WebUser };
    await alice.page.evaluate(
      (ms) => localStorage.setItem("volly.debug.calls.ringMs", String(ms)),
      SHORT_RING_MS,
    );
    try {
      await alice.page.getByRole("button", { name: "Video call Bob Callee" }).click();
      await bob.page.getByTestId("incoming-call").waitFor({ timeout: 30_000 });
      // the ring ends by itself: the caller gives up, the callee's ring stops
      await alice.page
        .getByTestId("call-view")
        .waitFor({ state: "detached", timeout: SHORT_RING_MS + 20_000 });
      await bob.page.getByTestId("incoming-call").waitFor({ state: "detached", timeout: 20_000 });
      await expectAnnounced(bob.page, "Missed call from Alice Caller.");
      for (const user of [alice, bob]) {
        expect(await lastCallRecord(user.page, "missed")).toMatch(/^Missed video call/);
      }
      await expect
        .poll(() => bob.page.getByTestId("conversation-preview").first().textContent(), { timeout: 20_000 })
        .toBe("Missed video call");
    } finally {
      await alice.page.evaluate(() => localStorage.removeItem("volly.debug.calls.ringMs"));
    }
  });

  it("during a video call alice switches camera, microphone and speaker from the call settings; bob keeps decoding her sealed frames", async () => {
    const { alice, bob } = users as { alice: WebUser; bob: WebUser };
    await alice.page.getByRole("button", { name: "Video call Bob Callee" }).click();
    await bob.page
      .getByRole("button", { name: "Accept the video call from Alice Caller" })
      .click({ timeout: 30_000 });
    for (const user of [alice, bob]) await expectPhase(user, "active");
    await expectDecoding(bob);

    const settings = alice.page.getByRole("button", { name: "Call settings" });
    await settings.press("Enter");
    expect(await settings.getAttribute("aria-expanded")).toBe("true");
    const devices = alice.page.getByRole("group", { name: "Call devices" });
    await devices.waitFor();
    await expectAccessible(alice.page, "call device settings");
    const camera = devices.getByLabel("Camera");
    const cameras = await camera
      .locator("option")
      .evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
    expect(cameras.length).toBeGreaterThan(0);
    const current = await camera.inputValue();
    // Chromium's fake devices may offer one camera: then the same one opens again as a new track
    const next = cameras.find((id) => id !== current) ?? current;
    const sentTrack = (kind: string) =>
      alice.page.evaluate((kind) => {
        const pc = (window as unknown as { __vollyCall: { pc(): RTCPeerConnection } }).__vollyCall.pc();
        return pc.getSenders().find((s) => s.track?.kind === kind)?.track?.id ?? "";
      }, kind);
    const videoBefore = await sentTrack("video");
    const decodedBefore = (await probe(bob.page)).framesDecoded;
    await camera.selectOption(next);
    await expect.poll(() => sentTrack("video"), { timeout: 20_000 }).not.toBe(videoBefore);
    await waitFor(async () => (await probe(bob.page)).framesDecoded > decodedBefore + 30, {
      ...PAGE_POLL,
      timeoutMs: 20_000,
      message: "bob decodes alice's new camera",
    });

    const microphone = devices.getByLabel("Microphone");
    const microphones = await microphone
      .locator("option")
      .evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
    const mic = await microphone.inputValue();
    const audioBefore = await sentTrack("audio");
    await microphone.selectOption(microphones.find((id) => id !== mic) ?? mic);
    await expect.poll(() => sentTrack("audio"), { timeout: 20_000 }).not.toBe(audioBefore);
    const energy = (await probe(bob.page)).audioEnergy;
    await waitFor(async () => (await probe(bob.page)).audioEnergy > energy, {
      ...PAGE_POLL,
      timeoutMs: 20_000,
      message: "bob hears alice's new microphone",
    });
    const p = await probe(bob.page);
    expect(
      Object.keys(p.frames.dropped).filter((cause) => cause !== "replay"),
      JSON.stringify(p.frames),
    ).toEqual([]);
    expect(p.frames.plaintextVisible).toBe(0);

    // the speaker (setSinkId): Chromium's fake devices offer two outputs besides the default
    const speaker = devices.getByLabel("Speaker");
    const outputs = await speaker
      .locator("option")
      .evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value).filter(Boolean));
    expect(outputs.length).toBeGreaterThan(0);
    await speaker.selectOption(outputs[0] ?? "");
    const sinkId = () =>
      alice.page.evaluate(
        () =>
          (document.querySelector('[data-testid="remote-video"]') as HTMLVideoElement & { sinkId: string })
            .sinkId,
      );
    await expect.poll(sinkId).toBe(outputs[0]);

    // Escape closes the settings and gives focus back to their button
    await devices.getByLabel("Camera").focus();
    await alice.page.keyboard.press("Escape");
    await devices.waitFor({ state: "detached" });
    expect(await settings.getAttribute("aria-expanded")).toBe("false");
    await expect
      .poll(() => alice.page.evaluate(() => document.activeElement?.getAttribute("aria-label")))
      .toBe("Call settings");
  });

  it("the call view names the connection's quality (getStats); an ICE restart keeps media decoding; picture in picture where supported", async () => {
    const { alice, bob } = users as { alice: WebUser; bob: WebUser };
    for (const user of [alice, bob]) {
      const quality = user.page.getByTestId("call-quality");
      await quality.waitFor({ timeout: 20_000 });
      await expect
        .poll(() => quality.getAttribute("aria-label"), { timeout: 20_000 })
        .toMatch(/^Connection (good|fair|poor): \d+ ms round trip, \d+% packet loss$/);
      expect(await quality.getAttribute("role")).toBe("img");
    }
    const ufrag = () =>
      alice.page.evaluate(() => {
        const pc = (window as unknown as { __vollyCall: { pc(): RTCPeerConnection } }).__vollyCall.pc();
        return /a=ice-ufrag:(\S+)/.exec(pc.currentLocalDescription?.sdp ?? "")?.[1] ?? "";
      });
    const before = await ufrag();
    await alice.page.evaluate(() =>
      (window as unknown as { __vollyCall: { restartIce(): Promise<void> } }).__vollyCall.restartIce(),
    );
    // the restart's offer and bob's answer went through the call signaling: new ICE credentials
    await expect.poll(ufrag, { timeout: 20_000 }).not.toBe(before);
    expect(
      await alice.page.evaluate(() =>
        (window as unknown as { __vollyCall: { iceRestarts(): number } }).__vollyCall.iceRestarts(),
      ),
    ).toBe(1);
    for (const user of [alice, bob]) {
      const decoded = (await probe(user.page)).framesDecoded;
      await waitFor(
        async () => {
          const p = await probe(user.page);
          if (p.framesDecoded <= decoded + 10) throw new Error(`from ${decoded}: ${JSON.stringify(p)}`);
          return true;
        },
        { ...PAGE_POLL, timeoutMs: 45_000, message: `${user.name} decodes after the ICE restart` },
      );
      await expectPhase(user, "active");
    }

    // picture in picture of bob's video: the button is there exactly where the browser has it
    const pictureSupported = await alice.page.evaluate(() => document.pictureInPictureEnabled === true);
    const picture = alice.page.getByRole("button", { name: "Picture in picture" });
    expect(await picture.count()).toBe(pictureSupported ? 1 : 0);
    if (pictureSupported) {
      await picture.click();
      await expect.poll(() => picture.getAttribute("aria-pressed")).toBe("true");
      expect(
        await alice.page.evaluate(() => document.pictureInPictureElement?.getAttribute("data-testid")),
      ).toBe("remote-video");
      await picture.press("Enter");
      await expect.poll(() => picture.getAttribute("aria-pressed")).toBe("false");
    }

    await alice.page.getByRole("button", { name: "Hang up" }).click();
    for (const user of [alice, bob]) {
      await user.page.getByTestId("call-view").waitFor({ state: "detached", timeout: 20_000 });
      expect(await lastCallRecord(user.page, "ended")).toMatch(/^Video call, \d+:\d\d/);
    }
  });

  it("bob has two browsers: both ring, the second answers, the first stops ringing; the call connects", async () => {
    const { alice, bob } = users as { alice: WebUser; bob: WebUser };
    const bob2 = await linkSecondDevice(
      { browser, serverUrl: server.url, errors },
      bob,
      "Bob laptop",
      "Alice Caller",
    );
    users.bob2 = bob2;
    // alice reads a message of bob's new device: her group has it, so it can read her ring too
    await openConversation(bob2.page, "Alice Caller");
    await sendMessage(bob2.page, "from the laptop");
    await messageWithText(alice.page, "from the laptop").waitFor({ timeout: 30_000 });

    await alice.page.getByRole("button", { name: "Video call Bob Callee" }).click();
    for (const device of [bob, bob2]) {
      await device.page.getByTestId("incoming-call").waitFor({ timeout: 30_000 });
      await expectAnnounced(device.page, "Incoming video call from Alice Caller");
    }
    await bob2.page.getByRole("button", { name: "Accept the video call from Alice Caller" }).click();
    await bob.page.getByTestId("incoming-call").waitFor({ state: "detached", timeout: 20_000 });
    await expectAnnounced(bob.page, "Answered on another device.");
    expect(await bob.page.getByTestId("call-view").count()).toBe(0);
    for (const user of [alice, bob2]) await expectPhase(user, "active");
    for (const user of [alice, bob2]) await expectDecoding(user);

    await alice.page.getByRole("button", { name: "Hang up" }).click();
    await bob2.page.getByTestId("call-view").waitFor({ state: "detached", timeout: 20_000 });
    for (const device of [bob, bob2]) {
      expect(await lastCallRecord(device.page, "ended")).toMatch(/^Video call, \d+:\d\d/);
    }
    expect(errors).toEqual([]);
  });
});
