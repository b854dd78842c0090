/**
 * calls: 1:1 call setup time and per-participant CPU in the web app, as the e2e call test drives
 * it (test/e2e/web-call.test.ts): a real `volly serve` (embedded, loopback), and one headless
 * Debian Chromium per participant with a fake camera (Chromium's test pattern) and a fake
 * microphone (a continuous 440 Hz tone, bench/lib/chromium.mjs `writeToneWav`). Alice and Bob
 * have a DM (Alice invites Bob); Alice calls from the DM header; Bob answers the moment the ring
 * shows.
 *
 * Setup time: from Alice's click on "Voice call …" / "Video call …" (a capture-phase click listener
 * in her page) to connected media on both sides. Connected media = on each side, the call's
 * RTCPeerConnection reports (getStats, polled every 20 ms in the page) inbound-rtp audio
 * `totalAudioEnergy` > 0 (decoded audio that is not silence) and, for a video call, inbound-rtp
 * video `framesDecoded` ≥ 1; the setup time ends at the later side. Timestamps are `Date.now()` in
 * each page (one machine, one clock). The ring (click → Bob's incoming-call screen) is reported on
 * its own; Bob's answer is a DOM click from a MutationObserver in his page as the Accept button
 * appears, so no human reaction time is in the figure. Each run starts with one video call that is
 * not counted (first-call costs: the frame-crypto worker, the devices' first open), reported as
 * `firstCallSetupMs`.
 *
 * CPU during a steady video call (`--steady-seconds`, 30 s): CPU seconds per wall second of each
 * participant's whole Chromium (browser process and every descendant: renderer with the app, the
 * SFrame worker and WebRTC's encoder/decoder threads, GPU process, network/audio/video-capture
 * utility processes), from /proc/<pid>/stat (utime + stime, every thread) at the start and end of
 * the window; the renderers' share on its own, the caller's split by process type; and the
 * server's CPU (media is peer to peer: it should be ~0). Why /proc rather than CDP `Performance.getMetrics`: TaskDuration/ScriptDuration
 * count the page's main thread only, and WebRTC encodes, decodes, encrypts (the worker) and sends on
 * other threads and processes; one browser per participant makes the process tree the participant.
 *
 * The 5-person voice channel (through Janus, the server's SFU) is bench/lib/voice-channel.mjs: join
 * setup time to audio from everyone already in, and CPU per participant, of the server and of Janus
 * with all five in. Each part holds the machine-wide media lock of the Chromium media tests
 * (bench/lib/media-lock.mjs) while its browsers run.
 *
 *   node bench/workloads/calls.mjs [--quick] [--parts 1:1,voice-channel] [--calls 8]
 *     [--rounds 3] [--participants 5] [--steady-seconds 30]
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  CHROMIUM_PATH,
  cpuBetween,
  launchParticipantBrowser,
  processTreeCpu,
  writeToneWav,
} from "../lib/chromium.mjs";
import { loadAverage } from "../lib/machine.mjs";
import { numberFlag, runAsMain } from "../lib/main.mjs";
import { acquireMediaLock } from "../lib/media-lock.mjs";
import { cpuMsOf, startVolly } from "../lib/server.mjs";
import { percentile } from "../lib/stats.mjs";
import { measureVoiceChannel, voiceChannelUnits } from "../lib/voice-channel.mjs";
import { onboard, openApp, STEP_TIMEOUT_MS } from "../lib/web-app.mjs";

export const description =
  "1:1 calls in the web app: a real `volly serve` and one headless Chromium per participant (fake " +
  "camera: Chromium's test pattern; fake microphone: a continuous tone). Setup: from the caller's " +
  "click on the call button to connected media on both sides — each side's getStats (polled every " +
  "20 ms in the page) shows inbound audio totalAudioEnergy > 0 and, for video, framesDecoded ≥ 1 — " +
  "with the callee answering as the ring shows (no reaction time); median and p95 over the run's " +
  "calls, after one uncounted first call (firstCallSetupMs). Ring: click → the callee's incoming-call " +
  "screen. CPU: CPU seconds per second (1 = one core busy) of each participant's whole Chromium " +
  "process tree (renderer, GPU, network/audio/capture utilities; /proc utime + stime) over a steady " +
  "video call, the renderers' share alone, and the server's (media is peer to peer). 5-person voice " +
  "channel (a `volly serve` managing Janus, SFrame end to end, one Chromium per participant, joining " +
  "one after another): join setup from a participant's click on the channel to audio energy > 0 from " +
  "everyone already in (mutual: and everyone in has the joiner's), median and p95 over the joins " +
  "after one uncounted round, the 5th joiner's alone; CPU per participant, of the server's Node " +
  "process and of Janus with all five in.";

export const units = {
  setupMedianMs: "ms",
  setupP95Ms: "ms",
  ringMedianMs: "ms",
  firstCallSetupMs: "ms",
  callerCpu: "CPU s/s",
  callerRendererCpu: "CPU s/s",
  calleeCpu: "CPU s/s",
  calleeRendererCpu: "CPU s/s",
  serverCpu: "CPU s/s",
  callerDecodedFps: "frames/s",
  calleeDecodedFps: "frames/s",
  rendererCpu: "CPU s/s",
  gpuProcessCpu: "CPU s/s",
  audioServiceCpu: "CPU s/s",
  networkServiceCpu: "CPU s/s",
  videoCaptureCpu: "CPU s/s",
  otherCpu: "CPU s/s",
  ...voiceChannelUnits,
};

/** The caller's Chromium process types shown on their own (the rest is `otherCpu`). */
const PROCESS_METRICS = {
  renderer: "rendererCpu",
  "gpu-process": "gpuProcessCpu",
  "utility:AudioService": "audioServiceCpu",
  "utility:NetworkService": "networkServiceCpu",
  "utility:VideoCaptureService": "videoCaptureCpu",
};

export const targets = [];

export const defaultRuns = 3;

/** Debian's Janus (`apt-get install janus`), which `volly serve` runs for the voice channel. */
const JANUS_PATH = "/usr/bin/janus";

const WEB_INDEX = resolve(import.meta.dirname, "../../packages/web/dist/index.html");

/**
 * Installs `window.__callBench` in a page: `arm()` starts recording one call's moments (the click
 * on a call button, the ring and this device's answer, the first audio energy and decoded video
 * frame in getStats), `disarm()` stops the 20 ms getStats polling, `moments()` reads them. With
 * `autoAccept` the page clicks Accept as soon as it appears. Runs in the page.
 */
function installProbe() {
  const bench = {
    moments: {},
    timer: undefined,
    observer: undefined,
    arm(autoAccept) {
      this.disarm();
      const m = {};
      this.moments = m;
      let polling = false;
      this.timer = setInterval(async () => {
        const pc = window.__vollyCall?.pc();
        if (!pc || polling) return;
        polling = true;
        try {
          const report = await pc.getStats();
          const now = Date.now();
          report.forEach((s) => {
            if (s.type !== "inbound-rtp") return;
            if (s.kind === "audio" && s.totalAudioEnergy > 0) m.audio ??= now;
            if (s.kind === "video" && s.framesDecoded > 0) m.video ??= now;
          });
        } finally {
          polling = false;
        }
      }, 20);
      const check = () => {
        const accept = document.querySelector("[data-testid=accept-call]");
        if (!accept || m.ring) return;
        m.ring = Date.now();
        if (autoAccept) accept.click();
      };
      this.observer = new MutationObserver(check);
      this.observer.observe(document.body, { childList: true, subtree: true });
      check();
    },
    disarm() {
      clearInterval(this.timer);
      this.observer?.disconnect();
    },
  };
  document.addEventListener(
    "click",
    (ev) => {
      if (ev.target instanceof Element && ev.target.closest("[data-testid^=start-][data-testid$=-call]")) {
        bench.moments.click ??= Date.now();
      }
    },
    true,
  );
  window.__callBench = bench;
}

/** A page's recorded moments (ms since the epoch) for the current call. */
function moments(page) {
  return page.evaluate(() => ({ ...window.__callBench.moments }));
}

/** The inbound video frames this page's call has decoded so far (getStats). */
function framesDecoded(page) {
  return page.evaluate(async () => {
    let n = 0;
    (await window.__vollyCall.pc().getStats()).forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "video") n = s.framesDecoded ?? 0;
    });
    return n;
  });
}

/** Alice and Bob with a DM, Alice's open: Alice invites Bob, Bob accepts in his browser. */
async function makeDm(alicePage, bobBrowser, url) {
  await onboard(alicePage, "Alice Caller", "135790");
  await alicePage.getByTestId("open-invite").click();
  const link = await alicePage.getByLabel("Invite link").inputValue();
  await alicePage.keyboard.press("Escape");
  const bobPage = await openApp(bobBrowser, link, url, [installProbe]);
  await onboard(bobPage, "Bob Callee", "246801");
  await bobPage.getByTestId("chat-title").filter({ hasText: "Alice" }).waitFor({ timeout: STEP_TIMEOUT_MS });
  const item = alicePage.locator('[data-testid=conversation-item][data-title="Bob Callee"]');
  await item.click({ timeout: STEP_TIMEOUT_MS });
  await alicePage.getByTestId("chat-title").filter({ hasText: "Bob Callee" }).waitFor();
  return bobPage;
}

/**
 * One call from Alice to Bob: click, Bob answers as it rings, until connected media on both sides.
 * Leaves the call up. @returns {{setupMs, ringMs}} in ms.
 */
async function connectCall(alice, bob, media) {
  await alice.evaluate(() => window.__callBench.arm(false));
  await bob.evaluate(() => window.__callBench.arm(true));
  await alice
    .getByRole("button", { name: `${media === "video" ? "Video" : "Voice"} call Bob Callee` })
    .click();
  const connected = (m) => m.audio !== undefined && (media === "audio" || m.video !== undefined);
  for (const page of [alice, bob]) {
    await page.waitForFunction(
      (video) => {
        const m = window.__callBench.moments;
        return m.audio !== undefined && (!video || m.video !== undefined);
      },
      media === "video",
      { timeout: STEP_TIMEOUT_MS, polling: 100 },
    );
  }
  const [a, b] = [await moments(alice), await moments(bob)];
  for (const page of [alice, bob]) await page.evaluate(() => window.__callBench.disarm());
  if (a.click === undefined || b.ring === undefined || !connected(a) || !connected(b)) {
    throw new Error(`call moments missing: ${JSON.stringify({ a, b })}`);
  }
  const end = Math.max(a.audio, b.audio, ...(media === "video" ? [a.video, b.video] : []));
  return { setupMs: end - a.click, ringMs: b.ring - a.click };
}

/** Alice hangs up; returns once both sides have left the call and Alice may call again. */
async function hangUp(alice, bob) {
  await alice.getByRole("button", { name: "Hang up" }).click();
  for (const page of [alice, bob]) {
    await page.getByTestId("call-view").waitFor({ state: "detached", timeout: STEP_TIMEOUT_MS });
  }
  await alice.waitForFunction(
    () => !document.querySelector("[data-testid=start-video-call]")?.hasAttribute("disabled"),
    undefined,
    { timeout: STEP_TIMEOUT_MS },
  );
}

/**
 * The 1:1 scenarios: one uncounted video call, `calls` voice and video calls alternating, then a
 * steady video call of `steadySeconds`. Holds the machine-wide media lock throughout.
 * @returns {{scenarios, notes}}
 */
async function measureOneToOne({ tone, calls, steadySeconds }) {
  const release = await acquireMediaLock(undefined, () =>
    console.error("calls: waiting for the media lock (another Chromium media test runs)"),
  );
  const participants = [];
  let server;
  try {
    server = await startVolly();
    participants.push(await launchParticipantBrowser(tone), await launchParticipantBrowser(tone));
    const [aliceBrowser, bobBrowser] = participants;
    const alice = await openApp(aliceBrowser.browser, server.url, server.url, [installProbe]);
    const bob = await makeDm(alice, bobBrowser.browser, server.url);

    console.error("calls: first (uncounted) video call");
    const first = await connectCall(alice, bob, "video");
    await hangUp(alice, bob);

    const results = { audio: [], video: [] };
    for (let i = 0; i < calls; i++) {
      for (const media of ["audio", "video"]) {
        console.error(`calls: ${media} call ${i + 1}/${calls}`);
        results[media].push(await connectCall(alice, bob, media));
        await hangUp(alice, bob);
      }
    }

    console.error(`calls: steady video call, ${steadySeconds} s`);
    await connectCall(alice, bob, "video");
    const frames0 = [await framesDecoded(alice), await framesDecoded(bob)];
    const cpu0 = participants.map((p) => processTreeCpu(p.pid));
    const server0 = cpuMsOf(server.pid);
    const load0 = loadAverage();
    const t0 = performance.now();
    // the measurement window: a duration, not a wait for a state
    await new Promise((r) => setTimeout(r, steadySeconds * 1000));
    const seconds = (performance.now() - t0) / 1000;
    const cpu = participants.map((p, i) => cpuBetween(cpu0[i], processTreeCpu(p.pid)));
    const serverCpu = (cpuMsOf(server.pid) - server0) / 1000 / seconds;
    const load1 = loadAverage();
    const frames1 = [await framesDecoded(alice), await framesDecoded(bob)];
    await hangUp(alice, bob);

    const perSecond = (v) => Number((v / seconds).toFixed(3));
    const setup = (list) => {
      const ms = list.map((r) => r.setupMs);
      return {
        setupMedianMs: percentile(ms, 50),
        setupP95Ms: percentile(ms, 95),
        ringMedianMs: percentile(
          list.map((r) => r.ringMs),
          50,
        ),
      };
    };
    const byProcess = {};
    for (const [type, used] of Object.entries(cpu[0].byType)) {
      const metric = PROCESS_METRICS[type] ?? "otherCpu";
      byProcess[metric] = (byProcess[metric] ?? 0) + used;
    }
    return {
      scenarios: {
        "1:1 voice call setup": setup(results.audio),
        "1:1 video call setup": { ...setup(results.video), firstCallSetupMs: first.setupMs },
        "1:1 video call steady": {
          callerCpu: perSecond(cpu[0].total),
          callerRendererCpu: perSecond(cpu[0].byType.renderer ?? 0),
          calleeCpu: perSecond(cpu[1].total),
          calleeRendererCpu: perSecond(cpu[1].byType.renderer ?? 0),
          serverCpu: Number(serverCpu.toFixed(4)),
          callerDecodedFps: perSecond(frames1[0] - frames0[0]),
          calleeDecodedFps: perSecond(frames1[1] - frames0[1]),
        },
        "1:1 video call steady, caller's Chromium by process": Object.fromEntries(
          [...Object.values(PROCESS_METRICS), "otherCpu"].map((m) => [m, perSecond(byProcess[m] ?? 0)]),
        ),
      },
      notes: [
        `${calls} voice and ${calls} video calls a run, alternating, after one uncounted video call; percentiles are nearest-rank over the run's calls. Setup-time resolution: the 20 ms getStats poll (Chromium may answer getStats from a cache up to 50 ms old).`,
        `Steady call: ${steadySeconds} s; CPU s/s = CPU seconds (user + system, all threads) per wall second, 1 = one core; each participant is its own Chromium, both on the machine that runs the server. The caller's CPU by Chromium process type: renderer (the app, its SFrame worker, WebRTC's codecs and RTP), GPU process (compositing, in software here), audio service (capture and playout), network service, video capture service; otherCpu = the browser process, zygotes and the storage service. The server's CPU is what it spends with two connected clients (gateway heartbeats, timers); no media passes through it: no STUN/TURN server is configured, so the peers connect directly over host candidates (both on this machine).`,
        `Chromium ${aliceBrowser.browser.version()}, headless, --disable-gpu (software video), VP8 (the app prefers it), fake camera at Chromium's default capture format.`,
        `Load average (1/5/15 min) over a 1:1 steady window: ${load0} at its start, ${load1} at its end.`,
      ],
    };
  } finally {
    for (const p of participants) await p.close();
    await server?.stop();
    release();
  }
}

async function run(flags) {
  for (const [path, hint] of [
    [WEB_INDEX, "run `npm run build`"],
    [CHROMIUM_PATH, "install it with `apt-get install chromium`"],
    [JANUS_PATH, "install it with `apt-get install janus`"],
  ]) {
    if (!existsSync(path)) throw new Error(`${path} is missing: ${hint}`);
  }
  const quick = flags.quick === "true";
  const parts = (flags.parts ?? "1:1,voice-channel").split(",");
  const steadySeconds = numberFlag(flags, "steady-seconds", quick ? 5 : 30);
  const dir = mkdtempSync(join(tmpdir(), "volly-bench-calls-"));
  const tone = join(dir, "tone.wav");
  writeToneWav(tone);
  try {
    const results = [];
    if (parts.includes("1:1")) {
      results.push(
        await measureOneToOne({ tone, calls: numberFlag(flags, "calls", quick ? 2 : 8), steadySeconds }),
      );
    }
    if (parts.includes("voice-channel")) {
      results.push(
        await measureVoiceChannel({
          tone,
          participants: numberFlag(flags, "participants", 5),
          rounds: numberFlag(flags, "rounds", quick ? 1 : 3),
          steadySeconds,
        }),
      );
    }
    return {
      scenarios: Object.assign({}, ...results.map((r) => r.scenarios)),
      notes: results.flatMap((r) => r.notes),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

runAsMain(import.meta.url, run);
