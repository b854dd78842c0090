import type { Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../helpers/wait-for.js";
import type { ServerProcess } from "../integration/helpers/server-process.js";
import { browserTestsEnabled } from "./helpers/chromium.js";
import { type MediaTestEnv, openMediaTestEnv } from "./helpers/media-env.js";
import { MEDIA_LOCK_HOOK_TIMEOUT_MS } from "./helpers/media-lock.js";
import {
  closeDialog,
  conversationItem,
  createInviteLink,
  expectAccessible,
  onboard,
  openConversation,
  PAGE_POLL,
  saveFailureScreens,
  type WebUser,
} from "./helpers/web-app.js";
import { callPair, lastCallRecord, newCallUser } from "./helpers/web-call.js";

const GROUP = "Call crew";

/** The three people of the call. */
type Trio = { alice: WebUser; bob: WebUser; carol: WebUser };

/** What one peer link of the page's group call reports (through `window.__vollyGroupCall`). */
interface PeerProbe {
  name: string;
  /** inbound-rtp audio `totalAudioEnergy` from that peer. */
  audioEnergy: number;
  /** Frames from that peer the SFrame worker opened. */
  opened: number;
}

/** Reads every peer link's audio energy and opened frames on `page` (empty without a call). */
function probeGroup(page: WebUser["page"]): Promise<PeerProbe[]> {
  return page.evaluate(async () => {
    const handle = (
      window as unknown as {
        __vollyGroupCall?: {
          peers(): { deviceId: string; name: string }[];
          pc(deviceId: string): RTCPeerConnection | undefined;
          frameStats(): Promise<unknown>;
        };
      }
    ).__vollyGroupCall;
    if (!handle) throw new Error("no group call debug handle");
    const frames = (await handle.frameStats()) as { openedFrom?: Record<string, number> } | undefined;
    const out: PeerProbe[] = [];
    for (const { deviceId, name } of handle.peers()) {
      let audioEnergy = 0;
      (await handle.pc(deviceId)?.getStats())?.forEach((s: Record<string, unknown>) => {
        if (s.type === "inbound-rtp" && s.kind === "audio") audioEnergy = Number(s.totalAudioEnergy ?? 0);
      });
      out.push({ name, audioEnergy, opened: frames?.openedFrom?.[deviceId] ?? 0 });
    }
    return out;
  });
}

/** The MLS epoch whose keys seal `page`'s frames in its group call. */
function sealingEpoch(page: WebUser["page"]): Promise<number | undefined> {
  return page.evaluate(() =>
    (window as unknown as { __vollyGroupCall: { epoch(): number | undefined } }).__vollyGroupCall.epoch(),
  );
}

/** Waits until `user` hears each of `names` (audio energy above `since`, frames opened by SFrame). */
async function expectHearing(user: WebUser, names: string[], since: PeerProbe[] = []): Promise<void> {
  await waitFor(
    async () => {
      const peers = await probeGroup(user.page);
      const ok = names.every((name) => {
        const p = peers.find((x) => x.name === name);
        const before = since.find((x) => x.name === name);
        return (
          p !== undefined && p.audioEnergy > (before?.audioEnergy ?? 0) && p.opened > (before?.opened ?? 0)
        );
      });
      if (!ok || peers.length !== names.length) throw new Error(JSON.stringify(peers));
      return true;
    },
    { ...PAGE_POLL, timeoutMs: 30_000, message: `${user.name} hears ${names.join(" and ")}` },
  );
}

/** What the group call debug handle offers the video checks. */
interface VideoHandle {
  peers(): { deviceId: string; name: string }[];
  pc(deviceId: string): RTCPeerConnection | undefined;
  restartIce(deviceId: string): Promise<void>;
  iceRestarts(deviceId: string): number;
}

/** Video frames `page` decoded from the participant `name`, and the ICE ufrag of its link there. */
function videoFrom(page: WebUser["page"], name: string): Promise<{ decoded: number; ufrag: string }> {
  return page.evaluate(async (name) => {
    const handle = (window as unknown as { __vollyGroupCall: VideoHandle }).__vollyGroupCall;
    const pc = handle.pc(handle.peers().find((p) => p.name === name)?.deviceId ?? "");
    let decoded = 0;
    (await pc?.getStats())?.forEach((s: Record<string, unknown>) => {
      if (s.type === "inbound-rtp" && s.kind === "video") decoded = Number(s.framesDecoded ?? 0);
    });
    const ufrag = /a=ice-ufrag:(\S+)/.exec(pc?.currentLocalDescription?.sdp ?? "")?.[1] ?? "";
    return { decoded, ufrag };
  }, name);
}

/** Waits until `user` decodes more than 10 further video frames from `name`. */
async function expectDecoding(user: WebUser, name: string, what: string): Promise<void> {
  const before = (await videoFrom(user.page, name)).decoded;
  await waitFor(async () => (await videoFrom(user.page, name)).decoded > before + 10, {
    ...PAGE_POLL,
    timeoutMs: 30_000,
    message: `${user.name} decodes ${name}'s video ${what}`,
  });
}

/**
 * A small group call in the web app, end to end (real `volly serve`, Chromium with fake
 * microphones): alice, bob and carol in a group; alice starts a voice call from the group's header,
 * bob joins from the ring and carol from the conversation's banner; every one of them decodes both
 * others' audio through SFrame-opened frames (a full mesh: one peer connection per pair); carol
 * leaves, then leaves the group: alice and bob re-key the call to the new MLS epoch and go on hearing
 * each other; alice hangs up, which ends bob's call too, and the timeline shows the call. Then a
 * group video call between bob and alice: each decodes the other's video, a camera turned off shows
 * the avatar on the other side. On the way: each tile shows its link's quality, an ICE restart of
 * the link (as when the network changes) keeps both decoding, and bob's screen share reaches alice
 * in his tile and stops back to his camera.
 */
describe.skipIf(!browserTestsEnabled())("web group call in Chromium", () => {
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
    await saveFailureScreens(users, "group-call-", ctx.task.name);
  });

  afterAll(async () => {
    await env?.close();
  });

  it("alice, bob and carol are in a group", async () => {
    const world = { browser, serverUrl: server.url, errors };
    const { alice, bob } = await callPair(world);
    const link = await createInviteLink(alice.page);
    await closeDialog(alice.page);
    const carol = await newCallUser(world, "Carol Third", "864209", link);
    carol.handle = await onboard(carol.page, carol.name, carol.pin);
    Object.assign(users, { alice, bob, carol });
    await conversationItem(alice.page, "Carol Third").waitFor({ timeout: 30_000 });

    await alice.page.getByTestId("open-new-group").click();
    await alice.page.getByLabel("Group name").fill(GROUP);
    for (const handle of [bob.handle, carol.handle])
      await alice.page.locator(`[data-testid=contact-checkbox][data-handle="${handle}"]`).check();
    await alice.page.getByTestId("create-group").click();
    await alice.page.getByTestId("new-group-dialog").waitFor({ state: "hidden", timeout: 30_000 });
    await expect
      .poll(() => alice.page.getByTestId("chat-title").textContent(), { timeout: 30_000 })
      .toBe(GROUP);
    for (const user of [bob, carol]) {
      await conversationItem(user.page, GROUP).waitFor({ timeout: 30_000 });
      await openConversation(user.page, GROUP);
    }
  });

  it("alice starts a voice call; bob joins from the ring, carol from the banner; each hears both others", async () => {
    const { alice, bob, carol } = users as Trio;
    await alice.page.getByRole("button", { name: `Voice call ${GROUP}` }).click();
    await alice.page.getByTestId("group-call-view").waitFor();

    await bob.page.getByTestId("incoming-group-call").waitFor({ timeout: 30_000 });
    await expectAccessible(bob.page, "incoming group call");
    await bob.page.getByRole("button", { name: `Join the call in ${GROUP}` }).click();
    await bob.page.getByTestId("group-call-view").waitFor();

    // carol declines the ring, then joins the call going on from the conversation's banner
    await carol.page.getByRole("button", { name: `Decline the call in ${GROUP}` }).click({ timeout: 30_000 });
    const banner = carol.page.getByTestId("group-call-banner");
    await expect.poll(() => banner.textContent(), { timeout: 30_000 }).toMatch(/2 in it/);
    await banner.getByRole("button", { name: "Join the call" }).click();
    await carol.page.getByTestId("group-call-view").waitFor();

    await expectHearing(alice, ["Bob Callee", "Carol Third"]);
    await expectHearing(bob, ["Alice Caller", "Carol Third"]);
    await expectHearing(carol, ["Alice Caller", "Bob Callee"]);
    for (const user of [alice, bob, carol]) {
      const frames = (await user.page.evaluate(() =>
        (
          window as unknown as { __vollyGroupCall: { frameStats(): Promise<unknown> } }
        ).__vollyGroupCall.frameStats(),
      )) as { sealed: number; plaintextVisible: number; dropped: Record<string, number> };
      expect(frames.sealed).toBeGreaterThan(0);
      expect(frames.plaintextVisible).toBe(0);
      expect(
        Object.keys(frames.dropped).filter((cause) => cause !== "replay"),
        JSON.stringify(frames),
      ).toEqual([]);
      await expect.poll(() => user.page.getByTestId("group-call-tile").count()).toBe(3);
    }
    await expectAccessible(alice.page, "group call view");
  });

  it("carol mutes (the others' tiles show it) and leaves; alice and bob keep hearing each other", async () => {
    const { alice, bob, carol } = users as Trio;
    const mute = carol.page.getByRole("button", { name: "Mute microphone" });
    await mute.click();
    expect(await mute.getAttribute("aria-pressed")).toBe("true");
    const carolTile = alice.page.getByTestId("group-call-tile").filter({ hasText: "Carol Third" });
    await expect
      .poll(() => carolTile.getAttribute("aria-label"), { timeout: 20_000 })
      .toBe("Carol Third, muted");

    await carol.page.getByRole("button", { name: "Leave call" }).click();
    await carol.page.getByTestId("group-call-view").waitFor({ state: "detached" });
    for (const user of [alice, bob]) {
      await expect.poll(() => user.page.getByTestId("group-call-tile").count(), { timeout: 20_000 }).toBe(2);
    }
    const aliceBefore = await probeGroup(alice.page);
    const bobBefore = await probeGroup(bob.page);
    await expectHearing(alice, ["Bob Callee"], aliceBefore);
    await expectHearing(bob, ["Alice Caller"], bobBefore);
  });

  it("carol leaves the group: alice and bob re-key the call to the new epoch and keep hearing each other", async () => {
    const { alice, bob, carol } = users as Trio;
    const before = { alice: await sealingEpoch(alice.page), bob: await sealingEpoch(bob.page) };
    await carol.page.getByTestId("open-group-details").click();
    await carol.page.getByTestId("leave-group").click();
    await carol.page.getByTestId("confirm-leave").click();
    for (const [user, epoch] of [
      [alice, before.alice],
      [bob, before.bob],
    ] as const) {
      await expect.poll(() => sealingEpoch(user.page), { timeout: 30_000 }).toBeGreaterThan(epoch ?? 0);
    }
    const aliceBefore = await probeGroup(alice.page);
    const bobBefore = await probeGroup(bob.page);
    await expectHearing(alice, ["Bob Callee"], aliceBefore);
    await expectHearing(bob, ["Alice Caller"], bobBefore);
  });

  it("alice hangs up: the call ends for bob too, and the timeline shows the call record", async () => {
    const { alice, bob } = users as Trio;
    await alice.page.getByRole("button", { name: "Leave call" }).click();
    for (const user of [alice, bob]) {
      await user.page.getByTestId("group-call-view").waitFor({ state: "detached", timeout: 20_000 });
    }
    // carol left the group: the record reaches its members
    for (const user of [alice, bob]) {
      expect(await lastCallRecord(user.page, "ended")).toMatch(/^Call, \d+:\d\d\b/);
      await expect
        .poll(() => user.page.getByTestId("group-call-banner").count(), { timeout: 20_000 })
        .toBe(0);
    }
  });

  it("a group video call: each decodes the other's video through SFrame, across an ICE restart and a screen share", async () => {
    const { alice, bob } = users as Trio;
    await bob.page.getByRole("button", { name: `Video call ${GROUP}` }).click();
    await alice.page
      .getByRole("button", { name: `Join the video call in ${GROUP}` })
      .click({ timeout: 30_000 });
    for (const [user, other] of [
      [alice, "Bob Callee"],
      [bob, "Alice Caller"],
    ] as const) {
      await waitFor(
        async () =>
          user.page.evaluate(async (name) => {
            const handle = (
              window as unknown as {
                __vollyGroupCall: {
                  peers(): { deviceId: string; name: string }[];
                  pc(deviceId: string): RTCPeerConnection | undefined;
                };
              }
            ).__vollyGroupCall;
            const peer = handle.peers().find((p) => p.name === name);
            let decoded = 0;
            (await handle.pc(peer?.deviceId ?? "")?.getStats())?.forEach((s: Record<string, unknown>) => {
              if (s.type === "inbound-rtp" && s.kind === "video") decoded = Number(s.framesDecoded ?? 0);
            });
            return decoded > 5;
          }, other),
        { ...PAGE_POLL, timeoutMs: 30_000, message: `${user.name} decodes ${other}'s video` },
      );
    }
    const bobTile = alice.page.getByTestId("group-call-tile").filter({ hasText: "Bob Callee" });
    // the links show their quality; one link's ICE restarts (its offerer, as when the path is lost)
    const quality = alice.page.getByTestId("group-call-quality");
    await expect
      .poll(() => quality.first().getAttribute("aria-label"), { timeout: 20_000 })
      .toMatch(/^Connection (good|fair|poor): \d+ ms round trip, \d+% packet loss$/);
    const offerer = await alice.page.evaluate(() => {
      const handle = (window as unknown as { __vollyGroupCall: VideoHandle }).__vollyGroupCall;
      return handle.peers()[0]?.deviceId ?? "";
    });
    const bobId = await bob.page.evaluate(() => {
      const handle = (window as unknown as { __vollyGroupCall: VideoHandle }).__vollyGroupCall;
      return handle.peers()[0]?.deviceId ?? "";
    });
    // the device with the smaller id offers, and restarts
    const [restarter, other] = bobId < offerer ? [alice, bob] : [bob, alice];
    const otherName = restarter === alice ? "Bob Callee" : "Alice Caller";
    const before = (await videoFrom(restarter.page, otherName)).ufrag;
    await restarter.page.evaluate(async () => {
      const handle = (window as unknown as { __vollyGroupCall: VideoHandle }).__vollyGroupCall;
      await handle.restartIce(handle.peers()[0]?.deviceId ?? "");
    });
    await expect
      .poll(async () => (await videoFrom(restarter.page, otherName)).ufrag, { timeout: 20_000 })
      .not.toBe(before);
    expect(
      await restarter.page.evaluate(() => {
        const handle = (window as unknown as { __vollyGroupCall: VideoHandle }).__vollyGroupCall;
        return handle.iceRestarts(handle.peers()[0]?.deviceId ?? "");
      }),
    ).toBe(1);
    await expectDecoding(restarter, otherName, "after the ICE restart");
    await expectDecoding(other, restarter.name, "after the ICE restart");

    // bob turns his camera off (alice's tile shows his avatar), then shares his screen: alice decodes
    // it in bob's tile; he stops: his camera again, still off
    await bob.page.getByRole("button", { name: "Turn camera off" }).click();
    await expect.poll(() => bobTile.locator("video.hidden").count(), { timeout: 20_000 }).toBe(1);
    const share = bob.page.getByRole("button", { name: "Share screen" });
    await share.click();
    await expect.poll(() => share.getAttribute("aria-pressed"), { timeout: 20_000 }).toBe("true");
    const sent = await bob.page.evaluate(() => {
      const handle = (window as unknown as { __vollyGroupCall: VideoHandle }).__vollyGroupCall;
      const pc = handle.pc(handle.peers()[0]?.deviceId ?? "");
      return pc?.getSenders().find((s) => s.track?.kind === "video")?.track?.label ?? "";
    });
    expect(sent).not.toMatch(/fake_device_0|camera/i);
    await expectDecoding(alice, "Bob Callee", "while he shares his screen");
    await expect.poll(() => bobTile.locator("video.hidden").count(), { timeout: 20_000 }).toBe(0);
    await share.click();
    await expect.poll(() => share.getAttribute("aria-pressed")).toBe("false");
    await expectDecoding(alice, "Bob Callee", "after he stopped sharing");
    await expect.poll(() => bobTile.locator("video.hidden").count(), { timeout: 20_000 }).toBe(1);
    expect(await bob.page.getByRole("button", { name: "Turn camera off" }).getAttribute("aria-pressed")).toBe(
      "true",
    );
    await bob.page.getByRole("button", { name: "Leave call" }).click();
    await alice.page.getByTestId("group-call-view").waitFor({ state: "detached", timeout: 20_000 });
    // the starter's record, after the voice call's
    await expect
      .poll(() => bob.page.getByTestId("call-event").last().textContent(), { timeout: 30_000 })
      .toMatch(/^\s*Video call, \d+:\d\d\b/);
    expect(errors).toEqual([]);
  });
});
