import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
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
  inVoiceChannel,
  joinVoiceCommunityByInvite,
  newVoiceUser,
  probeVoice as probe,
  receivesAll,
  type VoiceProbe,
} from "./helpers/voice.js";
import { IMAGES_DIR, PAGE_POLL, saveFailureScreens, type WebUser } from "./helpers/web-app.js";

const COMMUNITY = "Voice Guild";
const CHANNEL = "lounge";

/**
 * A community voice channel in the web app, end to end: a real `volly serve` with a managed Janus
 * (VideoRoom, require_e2ee), Debian's Chromium with a fake microphone (a beep), three users in three
 * browser contexts. Each joins the channel with one click (or Enter), receives every other's audio
 * through Janus as SFrame frames its worker opens, sees who is in and who speaks; mute stops the
 * energy the others receive; a receiver without the keys opens nothing; leaving takes the user off
 * everyone's list; a kicked member's removal moves the channel's MLS group to a new epoch, the
 * others' feeds re-key to it and go on, and she opens nothing of what follows (issue 16). With
 * CI=true a missing Janus or Chromium fails the test.
 */
describe.runIf(janusAvailable() && browserTestsEnabled())("web voice channel (Chromium, real Janus)", () => {
  let server: ServerProcess;
  let browser: Browser;
  const errors: string[] = [];
  const users: Record<string, WebUser> = {};

  /** Every page in `names` receives audio it decrypted from each of the others. */
  async function everyoneHearsEveryone(names: string[]): Promise<void> {
    for (const name of names) await receivesAll((users[name] as WebUser).page, names.length - 1, name);
  }

  let env: MediaTestEnv | undefined;

  beforeAll(async () => {
    env = await openMediaTestEnv({ VOLLY_SFU: "managed", VOLLY_VOICE_GRACE_MS: "300" });
    ({ server, browser } = env);
  }, MEDIA_LOCK_HOOK_TIMEOUT_MS);

  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== "fail") return;
    await saveFailureScreens(users, "voice-", ctx.task.name);
  });

  afterAll(async () => {
    await env?.close();
  });

  it("ada creates a community with a voice channel; bob and carol join by link", async () => {
    const ada = await newVoiceUser(browser, server.url, server.url, "Ada Voice", errors);
    users.ada = ada;
    const link = await createVoiceCommunity(ada.page, COMMUNITY, [CHANNEL, "stage"]);
    users.bob = await joinVoiceCommunityByInvite(browser, server.url, link, "Bob Voice", COMMUNITY, errors);
    users.carol = await joinVoiceCommunityByInvite(
      browser,
      server.url,
      link,
      "Carol Voice",
      COMMUNITY,
      errors,
    );
  }, 180_000);

  it("ada (one click) and bob (Enter) join; each hears the other through Janus, sealed with SFrame", async () => {
    const { ada, bob } = users as { ada: WebUser; bob: WebUser };
    await ada.page.getByRole("button", { name: `Join voice channel ${CHANNEL}` }).click();
    await ada.page.getByTestId("voice-panel").waitFor({ timeout: 30_000 });
    const join = bob.page.getByRole("button", { name: `Join voice channel ${CHANNEL}` });
    await join.focus();
    await bob.page.keyboard.press("Enter");
    await bob.page.getByTestId("voice-panel").waitFor({ timeout: 30_000 });
    for (const user of [ada, bob]) {
      await expect
        .poll(() => inVoiceChannel(user.page, CHANNEL), { timeout: 30_000 })
        .toEqual(
          expect.arrayContaining([
            expect.stringContaining("Ada Voice"),
            expect.stringContaining("Bob Voice"),
          ]),
        );
    }
    await everyoneHearsEveryone(["ada", "bob"]);
    // the speaking ring: bob's beep shows on ada's screen
    await ada.page
      .locator('[data-testid=voice-member][data-speaking="true"]', { hasText: "Bob Voice" })
      .waitFor({ timeout: 30_000 });
    await bob.page.getByRole("slider", { name: "Volume of Ada Voice" }).waitFor();
    // docs/images/voice-channel.png (the README's) only with VOLLY_UPDATE_SCREENSHOTS=1
    mkdirSync(IMAGES_DIR, { recursive: true });
    await ada.page.screenshot({ path: resolve(IMAGES_DIR, "voice-channel.png") });
  }, 120_000);

  it("carol joins: all three receive the two others", async () => {
    const { carol } = users as { carol: WebUser };
    await carol.page.getByRole("button", { name: `Join voice channel ${CHANNEL}` }).click();
    await carol.page.getByTestId("voice-panel").waitFor({ timeout: 30_000 });
    await everyoneHearsEveryone(["ada", "bob", "carol"]);
  }, 120_000);

  it("bob mutes: the others see it and the energy they receive from him stops", async () => {
    const { ada, bob } = users as { ada: WebUser; bob: WebUser };
    await bob.page.getByRole("button", { name: "Mute" }).click();
    expect(await bob.page.getByRole("button", { name: "Mute" }).getAttribute("aria-pressed")).toBe("true");
    await ada.page
      .getByTestId("voice-member")
      .filter({ hasText: "Bob Voice" })
      .filter({ hasText: "(muted)" })
      .waitFor();
    const bobsFeed = async () => {
      const p = await probe(ada.page);
      const states = await ada.page
        .getByTestId("voice-member")
        .filter({ hasText: "Bob Voice" })
        .getAttribute("data-account");
      const feed = p.feeds.find((f) => f.accountId === states);
      if (!feed) throw new Error("no feed of bob");
      return feed;
    };
    await waitFor(
      async () => {
        const feed = await bobsFeed();
        // silence: Chromium's decoded Opus silence keeps a level of one 16-bit step (1/32768)
        if (feed.level >= 0.001) throw new Error(`bob's feed: ${JSON.stringify(feed)}`);
        return true;
      },
      {
        ...PAGE_POLL,
        timeoutMs: 20_000,
        message: "bob's level to drop to silence (under -60 dBov)",
      },
    );
    const before = await bobsFeed();
    await waitFor(async () => (await bobsFeed()).packets > before.packets + 50, {
      ...PAGE_POLL,
      timeoutMs: 20_000,
      message: "50 more (silent) packets from bob",
    });
    const after = await bobsFeed();
    expect(after.energy - before.energy).toBeLessThan(1e-6);
    // unmuted, his beep comes back
    await bob.page.getByRole("button", { name: "Mute" }).click();
    await waitFor(async () => (await bobsFeed()).energy > after.energy + 1e-6, {
      ...PAGE_POLL,
      timeoutMs: 20_000,
      message: "bob's energy to grow again",
    });
  }, 90_000);

  it("ada's volume slider and deafen act on what her page plays; the others see her deafened", async () => {
    const { ada, bob } = users as { ada: WebUser; bob: WebUser };
    const volumes = () =>
      ada.page.evaluate(() =>
        [...document.querySelectorAll("audio")].map((a) => ({ volume: a.volume, muted: a.muted })),
      );
    await expect.poll(volumes).toHaveLength(2);
    const slider = ada.page.getByRole("slider", { name: "Volume of Bob Voice" });
    await slider.focus();
    await ada.page.keyboard.press("Home");
    await expect.poll(async () => (await volumes()).filter((v) => v.muted).length).toBe(1);
    await ada.page.keyboard.press("End");
    await expect.poll(async () => (await volumes()).every((v) => v.volume === 1 && !v.muted)).toBe(true);
    await ada.page.getByRole("button", { name: "Deafen" }).click();
    await expect.poll(async () => (await volumes()).every((v) => v.muted)).toBe(true);
    await bob.page
      .getByTestId("voice-member")
      .filter({ hasText: "Ada Voice" })
      .filter({ hasText: "(deafened)" })
      .waitFor({ timeout: 20_000 });
    await ada.page.getByRole("button", { name: "Deafen" }).click();
    await expect.poll(async () => (await volumes()).every((v) => !v.muted)).toBe(true);
  }, 60_000);

  it("a receiver holding other keys opens none of the frames Janus forwards", async () => {
    const { carol } = users as { carol: WebUser };
    const before = await probe(carol.page);
    await carol.page.evaluate(() =>
      (window as unknown as { __vollyVoice: { forgetReceiveKeys(): void } }).__vollyVoice.forgetReceiveKeys(),
    );
    const dropped = (p: VoiceProbe) =>
      p.feeds.reduce((n, f) => n + (f.frames.dropped.authentication ?? 0), 0);
    await waitFor(async () => dropped(await probe(carol.page)) > 100, {
      ...PAGE_POLL,
      timeoutMs: 20_000,
      message: "carol's worker to refuse 100 frames",
    });
    const a = await probe(carol.page);
    await waitFor(async () => dropped(await probe(carol.page)) > dropped(a) + 100, {
      ...PAGE_POLL,
      timeoutMs: 20_000,
      message: "100 more refused frames",
    });
    const b = await probe(carol.page);
    const opened = (p: VoiceProbe) => p.feeds.reduce((n, f) => n + f.frames.opened, 0);
    expect(opened(b)).toBe(opened(a));
    expect(opened(a)).toBeGreaterThanOrEqual(opened(before));
  }, 60_000);

  it("carol leaves: she is off the others' lists and their feeds of her end", async () => {
    const { ada, bob, carol } = users as { ada: WebUser; bob: WebUser; carol: WebUser };
    await carol.page.getByRole("button", { name: "Leave voice channel" }).click();
    await carol.page.getByTestId("voice-panel").waitFor({ state: "detached" });
    for (const user of [ada, bob]) {
      await expect
        .poll(() => inVoiceChannel(user.page, CHANNEL), { timeout: 30_000 })
        .not.toContainEqual(expect.stringContaining("Carol Voice"));
      await waitFor(async () => (await probe(user.page)).feeds.length === 1, {
        ...PAGE_POLL,
        timeoutMs: 20_000,
        message: `${user.name}'s feed of carol to end`,
      });
    }
  }, 60_000);

  it("carol joins again; ada kicks her: ada and bob re-key to the new epoch and keep hearing each other, carol opens nothing", async () => {
    const { ada, bob, carol } = users as { ada: WebUser; bob: WebUser; carol: WebUser };
    await carol.page.getByRole("button", { name: `Join voice channel ${CHANNEL}` }).click();
    await carol.page.getByTestId("voice-panel").waitFor({ timeout: 30_000 });
    await everyoneHearsEveryone(["ada", "bob", "carol"]);
    const peerFeed = async (page: Page, peer: WebUser) => {
      const accountId = await page
        .getByTestId("voice-member")
        .filter({ hasText: peer.name })
        .first()
        .getAttribute("data-account");
      const feed = (await probe(page)).feeds.find((f) => f.accountId === accountId);
      if (!feed) throw new Error(`no feed of ${peer.name}`);
      return feed;
    };
    const refused = (f: { frames: { dropped: Record<string, number> } }) =>
      (f.frames.dropped.authentication ?? 0) + (f.frames.dropped["unknown-kid"] ?? 0);
    const pairs: Array<[WebUser, WebUser]> = [
      [ada, bob],
      [bob, ada],
    ];
    const before = await Promise.all(pairs.map(([me, peer]) => peerFeed(me.page, peer)));
    const sealing = await Promise.all(pairs.map(async ([me]) => (await probe(me.page)).epoch ?? -1));

    await ada.page.locator(`[data-testid=member-item][data-handle="${carol.handle}"]`).click();
    await ada.page.getByTestId("member-dialog").getByTestId("kick-member").click();
    await ada.page.getByTestId("confirm-moderation").getByRole("button", { name: "Kick" }).click();
    await ada.page
      .locator(`[data-testid=member-item][data-handle="${carol.handle}"]`)
      .waitFor({ state: "detached", timeout: 30_000 });

    // the channel's MLS group lost carol: a newer epoch seals ada's and bob's frames and opens each other's
    for (const [i, [me, peer]] of pairs.entries()) {
      await waitFor(
        async () => {
          const own = (await probe(me.page)).epoch ?? -1;
          const feed = await peerFeed(me.page, peer);
          return own > (sealing[i] as number) && (feed.epoch ?? -1) > (before[i]?.epoch ?? -1);
        },
        { ...PAGE_POLL, timeoutMs: 20_000, message: `${me.name} to re-key after carol's removal` },
      );
    }
    // under the new keys they keep hearing each other: 100 more frames opened, energy grows, ~none refused
    const rekeyed = await Promise.all(pairs.map(([me, peer]) => peerFeed(me.page, peer)));
    const carolAt = await probe(carol.page);
    for (const [i, [me, peer]] of pairs.entries()) {
      const at = rekeyed[i] as (typeof rekeyed)[number];
      await waitFor(
        async () => {
          const feed = await peerFeed(me.page, peer);
          return feed.frames.opened > at.frames.opened + 100 && feed.energy > at.energy + 1e-6;
        },
        { ...PAGE_POLL, timeoutMs: 20_000, message: `${me.name} to open 100 more frames of ${peer.name}` },
      );
      expect(refused(await peerFeed(me.page, peer)) - refused(at)).toBeLessThanOrEqual(5);
    }
    // carol, removed, opens none of what follows (the SFU may still forward it: she refuses it)
    const opened = (p: VoiceProbe) => p.feeds.reduce((n, f) => n + f.frames.opened, 0);
    const dropped = (p: VoiceProbe) => p.feeds.reduce((n, f) => n + refused(f), 0);
    await waitFor(
      async () => {
        const p = await probe(carol.page);
        return p.feeds.length === 0 || dropped(p) > dropped(carolAt) + 100;
      },
      { ...PAGE_POLL, timeoutMs: 20_000, message: "carol's feeds to end or to refuse 100 frames" },
    );
    const opens = opened(await probe(carol.page));
    expect(opens - opened(carolAt)).toBeLessThanOrEqual(5);
    // she closes the app: her voice state ends (gateway grace) and the others' feeds of her end
    await carol.context.close();
    delete users.carol;
    for (const user of [ada, bob]) {
      await waitFor(async () => (await probe(user.page)).feeds.length === 1, {
        ...PAGE_POLL,
        timeoutMs: 20_000,
        message: `${user.name}'s feed of carol to end`,
      });
    }
  }, 90_000);

  it("ada (owner) server-mutes, moves and disconnects bob from his member card", async () => {
    const { ada, bob } = users as { ada: WebUser; bob: WebUser };
    const openCard = async () => {
      await ada.page.locator(`[data-testid=member-item][data-handle="${bob.handle}"]`).click();
      await ada.page.getByTestId("member-dialog").waitFor();
    };
    await openCard();
    await ada.page.getByRole("button", { name: "Server mute Bob Voice" }).click();
    await bob.page
      .getByTestId("voice-member")
      .filter({ hasText: "Bob Voice" })
      .filter({ hasText: "(server muted)" })
      .waitFor({ timeout: 20_000 });
    await ada.page.getByLabel("Move to voice channel").selectOption({ label: "stage" });
    await ada.page.getByTestId("voice-move").click();
    const stage = (page: Page) =>
      page
        .locator('[data-testid=voice-channel-item][data-name="stage"]')
        .locator("xpath=..")
        .getByTestId("voice-member");
    await stage(ada.page).filter({ hasText: "Bob Voice" }).waitFor({ timeout: 30_000 });
    // bob's app re-joins the new channel's room
    await expect
      .poll(() => bob.page.getByTestId("voice-panel").textContent(), { timeout: 30_000 })
      .toContain("stage");
    await waitFor(async () => (await probe(ada.page)).feeds.length === 0, {
      ...PAGE_POLL,
      timeoutMs: 20_000,
      message: "ada's feed of bob to end (he is in another room)",
    });
    await ada.page.getByRole("button", { name: "Disconnect Bob Voice" }).click();
    await bob.page.getByTestId("voice-panel").waitFor({ state: "detached", timeout: 30_000 });
    await stage(ada.page).first().waitFor({ state: "detached", timeout: 30_000 });
    await ada.page.keyboard.press("Escape");
    expect(errors).toEqual([]);
  }, 90_000);
});
