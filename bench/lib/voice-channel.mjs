/**
 * The calls workload's 5-person voice channel (bench/workloads/calls.mjs), as the e2e test drives
 * it (test/e2e/web-voice-channel.test.ts): a real `volly serve` with a Janus it manages
 * (VOLLY_SFU=managed: VideoRoom, require_e2ee, SFrame end to end), and one headless Chromium per
 * participant with the tone as its microphone. The first participant creates a community with a
 * voice channel; the four others join it by an invite link. Joining the channel is one click on it.
 *
 * Join setup time: from a participant's click on the voice channel (a capture-phase click listener in
 * its page) to that participant receiving audio from every participant already in — in its page,
 * the app's voice debug handle (`window.__vollyVoice.probe()`, one receive-only PeerConnection per
 * other participant), polled every 20 ms, shows that many feeds with inbound-rtp `totalAudioEnergy`
 * > 0 (decoded audio, so SFrame-opened, that is not silence). "Mutual" also waits for every
 * participant already in to receive the joiner's audio (the later of both, as the 1:1 figure).
 * Participants join one after another (2nd … 5th: 1 … 4 already in; the first, alone, is not
 * timed), all leave, and the next round rotates the order; one first round is not counted
 * (first-join costs: the frame-crypto worker, the microphone's first open).
 *
 * CPU with all five in (`steadySeconds`): each participant's whole Chromium process tree, the
 * server's Node process and Janus (its grandchild, under a watchdog shell), from /proc.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { cpuBetween, launchParticipantBrowser, processTreeCpu } from "./chromium.mjs";
import { loadAverage } from "./machine.mjs";
import { acquireMediaLock } from "./media-lock.mjs";
import { startVolly } from "./server.mjs";
import { percentile } from "./stats.mjs";
import { onboard, openApp, STEP_TIMEOUT_MS } from "./web-app.mjs";

/** The voice channel's name. */
const CHANNEL = "lounge";
const COMMUNITY = "Bench Voice";

/** The units of the figures this module adds to the calls workload. */
export const voiceChannelUnits = {
  joinSetupMedianMs: "ms",
  joinSetupP95Ms: "ms",
  mutualSetupMedianMs: "ms",
  mutualSetupP95Ms: "ms",
  lastJoinSetupMedianMs: "ms",
  firstRoundJoinSetupMedianMs: "ms",
  participantCpuMedian: "CPU s/s",
  participantCpuMax: "CPU s/s",
  participantRendererCpuMedian: "CPU s/s",
  serverCpu: "CPU s/s",
  janusCpu: "CPU s/s",
  allCpu: "CPU s/s",
};

/**
 * Installs `window.__voiceBench` in a page: `arm()` starts polling the voice debug handle every
 * 20 ms and records when the number of feeds with audio energy first reached each count
 * (`heard[n]`), and the click that joins a voice channel (`click`); `disarm()` stops the polling.
 * Runs in the page.
 */
function installVoiceProbe() {
  const bench = {
    moments: { heard: {} },
    timer: undefined,
    arm() {
      this.disarm();
      const m = { heard: {} };
      this.moments = m;
      let polling = false;
      this.timer = setInterval(async () => {
        const handle = window.__vollyVoice;
        if (!handle || polling) return;
        polling = true;
        try {
          const p = await handle.probe();
          const now = Date.now();
          const n = p.feeds.filter((f) => f.energy > 0).length;
          for (let i = 1; i <= n; i++) m.heard[i] ??= now;
        } catch {
          // between two joins the handle may have no media yet
        } finally {
          polling = false;
        }
      }, 20);
    },
    disarm() {
      clearInterval(this.timer);
    },
  };
  document.addEventListener(
    "click",
    (ev) => {
      const item =
        ev.target instanceof Element ? ev.target.closest("[data-testid=voice-channel-item]") : null;
      if (item?.getAttribute("aria-label")?.startsWith("Join voice channel")) {
        bench.moments.click ??= Date.now();
      }
    },
    true,
  );
  window.__voiceBench = bench;
}

/** Waits until `page` shows `count` participants in the voice channel. */
async function waitInChannel(page, count) {
  await page.waitForFunction(
    ({ channel, count }) => {
      const item = document.querySelector(`[data-testid=voice-channel-item][data-name="${channel}"]`);
      return item?.parentElement?.querySelectorAll("[data-testid=voice-member]").length === count;
    },
    { channel: CHANNEL, count },
    { timeout: STEP_TIMEOUT_MS, polling: 100 },
  );
}

/** The first participant creates the community and its voice channel; returns an invite link. */
async function createCommunity(page) {
  await page.getByRole("button", { name: "Create a community" }).click();
  await page.getByLabel("Community name").fill(COMMUNITY);
  await page.getByTestId("create-community").click();
  await page
    .getByTestId("community-name")
    .filter({ hasText: COMMUNITY })
    .waitFor({ timeout: STEP_TIMEOUT_MS });
  await page.getByTestId("community-menu").click();
  await page.getByTestId("open-create-channel").click();
  await page.getByTestId("channel-kind-voice").check();
  await page.getByLabel("Channel name").fill(CHANNEL);
  await page.getByTestId("create-channel").click();
  await page
    .getByRole("button", { name: `Join voice channel ${CHANNEL}` })
    .waitFor({ timeout: STEP_TIMEOUT_MS });
  await page.getByTestId("community-menu").click();
  await page.getByTestId("open-community-invite").click();
  await page.getByTestId("create-community-invite").click();
  const link = await page.getByTestId("community-invite-link").inputValue();
  await page.keyboard.press("Escape");
  return link;
}

/** A new participant opens the invite link, onboards and joins the community. */
async function joinCommunity(browser, origin, link, name) {
  const page = await openApp(browser, link, origin, [installVoiceProbe]);
  await onboard(page, name, "135790");
  await page.getByTestId("join-community-dialog").getByTestId("join-community").click();
  await page
    .getByTestId("community-name")
    .filter({ hasText: COMMUNITY })
    .waitFor({ timeout: STEP_TIMEOUT_MS });
  await page
    .getByRole("button", { name: `Join voice channel ${CHANNEL}` })
    .waitFor({ timeout: STEP_TIMEOUT_MS });
  return page;
}

/**
 * `joiner` clicks the voice channel with `inside` already in it; waits until it receives all of
 * them and each of them receives it. @returns {{joinMs, mutualMs}} from the click (ms).
 */
async function joinOne(joiner, inside) {
  const all = [...inside, joiner];
  for (const page of all) await page.evaluate(() => window.__voiceBench.arm());
  await joiner.getByRole("button", { name: `Join voice channel ${CHANNEL}` }).click();
  // everyone in hears as many others as there are: the joiner all of them, each of them one more
  for (const page of all) {
    await page.waitForFunction(
      (n) => n === 0 || window.__voiceBench.moments.heard[n] !== undefined,
      inside.length,
      { timeout: STEP_TIMEOUT_MS, polling: 100 },
    );
  }
  for (const page of all) await page.evaluate(() => window.__voiceBench.disarm());
  const moments = [];
  for (const page of all) moments.push(await page.evaluate(() => window.__voiceBench.moments));
  const own = moments[moments.length - 1];
  if (own.click === undefined) throw new Error("the click on the voice channel was not seen");
  if (inside.length === 0) return undefined;
  const n = inside.length;
  return {
    joinMs: own.heard[n] - own.click,
    mutualMs: Math.max(...moments.map((m) => m.heard[n])) - own.click,
  };
}

/** Everyone in leaves; returns once every page shows the channel empty. */
async function leaveAll(pages) {
  for (const page of pages) {
    await page.getByRole("button", { name: "Leave voice channel" }).click();
    await page.getByTestId("voice-panel").waitFor({ state: "detached", timeout: STEP_TIMEOUT_MS });
  }
  for (const page of pages) await waitInChannel(page, 0);
}

/** CPU seconds so far of the server's Node process, of Janus (by its name) and of the rest of its tree. */
function serverCpu(serverPid) {
  const out = { server: 0, janus: 0, janusPids: 0, other: 0 };
  for (const [pid, p] of processTreeCpu(serverPid)) {
    let comm = "";
    try {
      comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
    } catch {}
    if (pid === serverPid) out.server += p.cpuSeconds;
    else if (comm === "janus") {
      out.janus += p.cpuSeconds;
      out.janusPids++;
    } else out.other += p.cpuSeconds;
  }
  return out;
}

/**
 * The 5-person voice channel scenarios: join setup times over `rounds` rounds (after one uncounted
 * round) and CPU over `steadySeconds` with all in. Takes the machine-wide media lock for its whole
 * duration.
 * @param tone the fake microphone's WAV file
 * @returns {{scenarios, notes}} the calls workload's shape
 * @throws Error when a step does not happen within STEP_TIMEOUT_MS, or Janus is not found
 */
export async function measureVoiceChannel({ tone, participants = 5, rounds = 3, steadySeconds = 30 }) {
  const release = await acquireMediaLock(undefined, () =>
    console.error("calls: waiting for the media lock (another Chromium media test runs)"),
  );
  const browsers = [];
  let server;
  try {
    server = await startVolly({ env: { VOLLY_SFU: "managed" } });
    for (let i = 0; i < participants; i++) browsers.push(await launchParticipantBrowser(tone));
    console.error(`calls: voice channel, ${participants} participants onboarding`);
    const first = await openApp(browsers[0].browser, server.url, server.url, [installVoiceProbe]);
    await onboard(first, "Voice 1", "135790");
    const link = await createCommunity(first);
    const pages = [first];
    for (let i = 1; i < participants; i++) {
      pages.push(await joinCommunity(browsers[i].browser, server.url, link, `Voice ${i + 1}`));
    }

    const joins = []; // { position (others already in), joinMs, mutualMs }
    const firstRound = [];
    for (let round = 0; round <= rounds; round++) {
      console.error(
        `calls: voice channel round ${round + 1}/${rounds + 1}${round === 0 ? " (uncounted)" : ""}`,
      );
      const order = pages.map((_, i) => pages[(i + round) % pages.length]);
      for (let k = 0; k < order.length; k++) {
        const r = await joinOne(order[k], order.slice(0, k));
        if (r) (round === 0 ? firstRound : joins).push({ position: k, ...r });
      }
      for (const page of pages) await waitInChannel(page, participants);
      if (round < rounds) await leaveAll(order);
    }

    console.error(`calls: voice channel steady, ${participants} in, ${steadySeconds} s`);
    const load0 = loadAverage();
    const cpu0 = browsers.map((b) => processTreeCpu(b.pid));
    const server0 = serverCpu(server.pid);
    if (server0.janusPids === 0) throw new Error("no janus process under the server");
    const t0 = performance.now();
    // the measurement window: a duration, not a wait for a state
    await new Promise((r) => setTimeout(r, steadySeconds * 1000));
    const seconds = (performance.now() - t0) / 1000;
    const cpu = browsers.map((b, i) => cpuBetween(cpu0[i], processTreeCpu(b.pid)));
    const server1 = serverCpu(server.pid);
    const load1 = loadAverage();
    // everyone still hears everyone at the end of the window
    for (const page of pages) {
      const heard = await page.evaluate(
        async () => (await window.__vollyVoice.probe()).feeds.filter((f) => f.energy > 0).length,
      );
      if (heard !== participants - 1) throw new Error(`a participant hears ${heard} others after the window`);
    }
    await leaveAll(pages);

    const perSecond = (v) => Number((v / seconds).toFixed(3));
    const totals = cpu.map((c) => c.total);
    const serverSum = server1.server - server0.server;
    const janusSum = server1.janus - server0.janus;
    const ms = (list, key) => list.map((j) => j[key]);
    const last = joins.filter((j) => j.position === participants - 1);
    return {
      scenarios: {
        [`${participants}-person voice channel join`]: {
          joinSetupMedianMs: percentile(ms(joins, "joinMs"), 50),
          joinSetupP95Ms: percentile(ms(joins, "joinMs"), 95),
          mutualSetupMedianMs: percentile(ms(joins, "mutualMs"), 50),
          mutualSetupP95Ms: percentile(ms(joins, "mutualMs"), 95),
          lastJoinSetupMedianMs: percentile(ms(last, "joinMs"), 50),
          firstRoundJoinSetupMedianMs: percentile(ms(firstRound, "joinMs"), 50),
        },
        [`${participants}-person voice channel steady`]: {
          participantCpuMedian: perSecond(percentile(totals, 50)),
          participantCpuMax: perSecond(Math.max(...totals)),
          participantRendererCpuMedian: perSecond(
            percentile(
              cpu.map((c) => c.byType.renderer ?? 0),
              50,
            ),
          ),
          serverCpu: Number((serverSum / seconds).toFixed(4)),
          janusCpu: Number((janusSum / seconds).toFixed(4)),
          allCpu: perSecond(totals.reduce((a, b) => a + b, 0) + serverSum + janusSum),
        },
      },
      notes: [
        `${participants}-person voice channel: a \`volly serve\` with VOLLY_SFU=managed (Janus ${janusVersion()}, VideoRoom, require_e2ee), one Chromium per participant; participants join one after another, ${rounds} counted round(s) of ${participants - 1} timed joins each (the first joiner, alone, is not timed) after one uncounted round, the order rotated each round. Join setup: click on the channel → the joiner's page has audio energy > 0 from every participant already in (its voice debug handle's getStats of each feed, polled every 20 ms, timed when it answers); mutual: also every one of them has the joiner's; last join: the ${participants}th joiner (${participants - 1} already in). Percentiles nearest-rank over the counted joins (${joins.length}).`,
        `${participants}-person voice channel steady: ${steadySeconds} s with all ${participants} in, each publishing the tone and receiving ${participants - 1} feeds through Janus (SFrame-sealed Opus); participant CPU = its whole Chromium tree as for the 1:1 call; serverCpu = the \`volly serve\` Node process alone; janusCpu = the Janus it manages; allCpu = all of them on this machine's ${cpus().length} cores.`,
        `Load average (1/5/15 min) over a ${participants}-person steady window: ${load0} at its start, ${load1} at its end.`,
      ],
    };
  } finally {
    for (const b of browsers) await b.close();
    await server?.stop();
    release();
  }
}

/** Janus's version as `janus --version` prints it ("1.1.2"), or "?". */
function janusVersion() {
  const out = spawnSync("janus", ["--version"], { encoding: "utf8" });
  return /Janus version: \d+ \(([^)]+)\)/.exec(`${out.stdout}${out.stderr}`)?.[1] ?? "?";
}
