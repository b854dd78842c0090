import type { Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../helpers/wait-for.js";
import { janusAvailable } from "../integration/helpers/janus.js";
import type { ServerProcess } from "../integration/helpers/server-process.js";
import { browserTestsEnabled } from "./helpers/chromium.js";
import { type MediaTestEnv, openMediaTestEnv } from "./helpers/media-env.js";
import { MEDIA_LOCK_HOOK_TIMEOUT_MS } from "./helpers/media-lock.js";
import {
  createVoiceCommunity,
  joinVoiceCommunityByInvite,
  newVoiceUser,
  probeVoice,
  receivesAll,
  type VoiceProbe,
} from "./helpers/voice.js";
import { PAGE_POLL, saveFailureScreens, type WebUser } from "./helpers/web-app.js";

const COMMUNITY = "Five Voices";
const CHANNEL = "hall";
/** How long the five stay in the channel (ms). */
const DURATION_MS = 120_000;
const NAMES = ["Ada Five", "Bob Five", "Cid Five", "Dee Five", "Eve Five"] as const;

/** Energy and opened frames per feed (by account id), to compare with a later probe. */
function progress(p: VoiceProbe): Map<string, { energy: number; opened: number }> {
  return new Map(p.feeds.map((f) => [f.accountId, { energy: f.energy, opened: f.frames.opened }]));
}

/**
 * Five participants in one web voice channel for two minutes (a real `volly serve` with a managed
 * Janus, five Chromium contexts with the fake microphone): over the whole time every participant
 * keeps receiving, and opening, every other speaker — each round waits until every feed on every
 * page has grown in audio energy and opened frames since the previous round. Halfway through one
 * leaves: her page has no feed left, and the four others stop receiving her. Slow (about three
 * minutes): its own file, so the main voice test stays quick.
 */
describe.runIf(janusAvailable() && browserTestsEnabled())("web voice channel, five for two minutes", () => {
  let server: ServerProcess;
  let browser: Browser;
  const errors: string[] = [];
  const users: Record<string, WebUser> = {};

  let env: MediaTestEnv | undefined;

  beforeAll(async () => {
    env = await openMediaTestEnv({ VOLLY_SFU: "managed", VOLLY_VOICE_GRACE_MS: "300" });
    ({ server, browser } = env);
  }, MEDIA_LOCK_HOOK_TIMEOUT_MS);

  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== "fail") return;
    await saveFailureScreens(users, "voice5-", ctx.task.name);
  });

  afterAll(async () => {
    await env?.close();
  });

  it("five join the channel and each receives the four others", async () => {
    const [first, ...rest] = NAMES;
    const ada = await newVoiceUser(browser, server.url, server.url, first, errors);
    users[first] = ada;
    const link = await createVoiceCommunity(ada.page, COMMUNITY, [CHANNEL]);
    for (const name of rest) {
      users[name] = await joinVoiceCommunityByInvite(browser, server.url, link, name, COMMUNITY, errors);
    }
    for (const name of NAMES) {
      const { page } = users[name] as WebUser;
      await page.getByRole("button", { name: `Join voice channel ${CHANNEL}` }).click();
      await page.getByTestId("voice-panel").waitFor({ timeout: 30_000 });
    }
    for (const name of NAMES)
      await receivesAll((users[name] as WebUser).page, NAMES.length - 1, name, 60_000);
  }, 300_000);

  it(
    "for two minutes every one keeps receiving every speaker; one who leaves halfway stops",
    async () => {
      const start = Date.now();
      let present: string[] = [...NAMES];
      const leaver = NAMES[4];
      let rounds = 0;
      let last = new Map<string, Map<string, { energy: number; opened: number }>>();
      for (const name of present) last.set(name, progress(await probeVoice((users[name] as WebUser).page)));
      while (Date.now() - start < DURATION_MS) {
        if (present.includes(leaver) && Date.now() - start > DURATION_MS / 2) {
          const { page } = users[leaver] as WebUser;
          await page.getByRole("button", { name: "Leave voice channel" }).click();
          await page.getByTestId("voice-panel").waitFor({ state: "detached" });
          expect((await probeVoice(page)).feeds).toEqual([]);
          present = present.filter((n) => n !== leaver);
          for (const name of present) {
            await waitFor(async () => (await probeVoice((users[name] as WebUser).page)).feeds.length === 3, {
              ...PAGE_POLL,
              timeoutMs: 20_000,
              message: `${name}'s feed of ${leaver} to end`,
            });
            last.set(name, progress(await probeVoice((users[name] as WebUser).page)));
          }
        }
        const next = new Map<string, Map<string, { energy: number; opened: number }>>();
        for (const name of present) {
          const page = (users[name] as WebUser).page;
          const before = last.get(name) ?? new Map();
          await waitFor(
            async () => {
              const p = await probeVoice(page);
              if (p.feeds.length !== present.length - 1) return false;
              const now = progress(p);
              const grown = [...now].every(([id, f]) => {
                const b = before.get(id);
                return b === undefined ? f.opened > 0 : f.energy > b.energy && f.opened > b.opened;
              });
              if (grown) next.set(name, now);
              return grown;
            },
            {
              ...PAGE_POLL,
              timeoutMs: 20_000,
              message: `${name} to keep receiving all ${present.length - 1} others`,
            },
          );
        }
        last = next;
        rounds += 1;
      }
      for (const name of present) {
        const p = await probeVoice((users[name] as WebUser).page);
        expect(p.own?.plaintextVisible).toBe(0);
        for (const feed of p.feeds) expect(feed.frames.dropped.authentication ?? 0).toBe(0);
      }
      console.info(`five-voice test: ${rounds} rounds in ${Math.round((Date.now() - start) / 1000)} s`);
      expect(rounds).toBeGreaterThan(5);
      expect(errors).toEqual([]);
    },
    DURATION_MS + 120_000,
  );
});
