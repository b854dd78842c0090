/**
 * Debian's Chromium for the browser benchmarks: one browser per participant, launched with a fake
 * camera and microphone, and the CPU time of that browser's whole process tree read from /proc
 * (Linux).
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { chromium } from "playwright-core";

/** Debian's Chromium (`apt-get install chromium`), as the e2e tests use it. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/**
 * The e2e tests' Chromium flags (test/e2e/helpers/chromium.ts, which TypeScript keeps apart), for
 * the bench and scripts/measure-web.mjs.
 */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--headless",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/**
 * Writes a 16-bit mono PCM WAV file of a continuous sine tone (48 kHz): Chromium loops it as the
 * fake microphone (`--use-file-for-fake-audio-capture`), so every decoded audio frame has energy —
 * its built-in fake microphone beeps for 20 ms every 500 ms, which would make "audio energy > 0"
 * wait for the next beep.
 * @param path where to write the file
 * @param seconds its length (s); @param hz the tone's frequency (Hz)
 */
export function writeToneWav(path, seconds = 1, hz = 440) {
  const rate = 48_000;
  const samples = rate * seconds;
  const wav = Buffer.alloc(44 + samples * 2);
  wav.write("RIFF", 0);
  wav.writeUInt32LE(36 + samples * 2, 4);
  wav.write("WAVEfmt ", 8);
  wav.writeUInt32LE(16, 16); // fmt chunk size
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(rate, 24);
  wav.writeUInt32LE(rate * 2, 28); // byte rate
  wav.writeUInt16LE(2, 32); // block align
  wav.writeUInt16LE(16, 34); // bits per sample
  wav.write("data", 36);
  wav.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i++) {
    wav.writeInt16LE(Math.round(0.3 * 32_767 * Math.sin((2 * Math.PI * hz * i) / rate)), 44 + i * 2);
  }
  writeFileSync(path, wav);
}

/**
 * Launches one headless Chromium with a fake camera (Chromium's test pattern) and the WAV file
 * `audioFile` as its microphone, granted without a prompt.
 * @returns {Promise<{browser: import("playwright-core").Browser, pid: number, close(): Promise<void>}>}
 *   `pid` is the browser process's: its descendants are the renderers, GPU and utility processes.
 */
export async function launchParticipantBrowser(audioFile) {
  const server = await chromium.launchServer({
    executablePath: CHROMIUM_PATH,
    args: [
      ...CHROMIUM_ARGS,
      "--use-fake-ui-for-media-stream",
      "--use-fake-device-for-media-stream",
      `--use-file-for-fake-audio-capture=${audioFile}`,
    ],
  });
  const browser = await chromium.connect(server.wsEndpoint());
  const pid = server.process().pid;
  if (pid === undefined) throw new Error("Chromium did not start");
  return {
    browser,
    pid,
    async close() {
      await browser.close().catch(() => undefined);
      await server.close();
    },
  };
}

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** pid → { ppid, cpuSeconds } of every process now, from /proc/<pid>/stat; vanished ones skipped. */
function allProcesses() {
  const out = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // comm (field 2) may hold spaces and parentheses: the fields after it start past the last ")".
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // fields[1] is ppid (field 4); fields[11], fields[12] are utime, stime (fields 14, 15).
      out.set(Number(name), {
        ppid: Number(fields[1]),
        cpuSeconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND,
      });
    } catch {}
  }
  return out;
}

/** Chromium's process type from its command line (`--type=renderer`, …; none: the browser). */
function processType(pid) {
  try {
    // Chromium rewrites its children's command lines as one string (setproctitle): split on spaces too.
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split(/[\0 ]/);
    const type = cmdline.find((a) => a.startsWith("--type="))?.slice("--type=".length) ?? "browser";
    const service = cmdline
      .find((a) => a.startsWith("--utility-sub-type="))
      ?.split(".")
      .pop();
    return type === "utility" && service ? `utility:${service}` : type;
  } catch {
    return "gone";
  }
}

/**
 * CPU time (user + system, all threads, in seconds) used so far by process `rootPid` and each of
 * its descendants, keyed by pid, with each one's Chromium process type (renderer, gpu-process,
 * zygote, utility:<service>, browser). A process that exited is no longer counted.
 */
export function processTreeCpu(rootPid) {
  const all = allProcesses();
  const tree = new Map();
  const visit = (pid) => {
    const p = all.get(pid);
    if (!p) return;
    tree.set(pid, { type: processType(pid), cpuSeconds: p.cpuSeconds });
    for (const [child, c] of all) if (c.ppid === pid) visit(child);
  };
  visit(rootPid);
  return tree;
}

/**
 * CPU seconds used between two {@link processTreeCpu} snapshots, in total and by process type. A
 * process that started in between counts from zero.
 */
export function cpuBetween(before, after) {
  const byType = {};
  let total = 0;
  for (const [pid, p] of after) {
    const used = p.cpuSeconds - (before.get(pid)?.cpuSeconds ?? 0);
    total += used;
    byType[p.type] = (byType[p.type] ?? 0) + used;
  }
  return { total, byType };
}
