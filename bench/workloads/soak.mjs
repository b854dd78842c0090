/**
 * soak: the fanout workload's embedded shape at a steady offered rate for a long time (30 minutes
 * by default), reading the server's RSS every few seconds, to show whether a node's memory stays
 * flat under load: the least-squares slope of RSS over time after a warm-up, in MiB per hour.
 *
 *   node bench/workloads/soak.mjs [--minutes 30] [--rate 100] [--sample-seconds 10]
 *     [--warmup-seconds 120] [--shape embedded|scaled-1] [--quick]
 */
import { numberFlag, runAsMain } from "../lib/main.mjs";
import { linearFit, summarize } from "../lib/stats.mjs";
import { runScenario } from "./fanout.mjs";

export const description =
  "The fanout workload (G=10 groups of S=50 members, each a separate authenticated gateway connection, " +
  "20 senders over the gateway, 256-byte payloads, receivers acking as the SDK does) at a steady offered " +
  "rate for a long time against one fresh `volly serve` (embedded: SQLite, in-process bus). The server's " +
  "RSS (VmRSS) is read every sample interval from the first send to the last delivery; rssSlopeMiBPerHour " +
  "is the least-squares slope of those readings after the warm-up (the first readings, while caches, the " +
  "JIT and the SQLite page cache fill, are left out), rssStartMiB / rssEndMiB the first and last readings " +
  "after it. RSS swings by tens of MiB between garbage collections, which moves a slope over half an hour by " +
  "tens of MiB per hour either way, so flatness is judged on medians: rssFirstThirdMiB and rssLastThirdMiB are " +
  "the medians of the readings in the first and last third of the time after the warm-up, rssGrowth their " +
  "ratio. Latency percentiles are over every delivery of the whole soak.";

export const units = {
  minutes: "min",
  messages: "messages",
  rssStartMiB: "MiB",
  rssEndMiB: "MiB",
  rssMaxMiB: "MiB",
  rssSlopeMiBPerHour: "MiB/h",
  rssFirstThirdMiB: "MiB",
  rssLastThirdMiB: "MiB",
  rssGrowth: "× first third",
  anonSlopeMiBPerHour: "MiB/h",
  e2eP50Ms: "ms",
  e2eP99Ms: "ms",
  serverCpuPct: "% of one core",
};

export const targets = [
  {
    scenario: "embedded 100 msg/s",
    metric: "rssGrowth",
    op: "<=",
    value: 1.05,
    label:
      "soak, embedded, 100 messages/s for 30 minutes: RSS flat (median of the last third ≤ 1.05× the first third's)",
  },
];

export const defaultRuns = 1;

async function run(flags) {
  const quick = flags.quick === "true";
  const minutes = numberFlag(flags, "minutes", quick ? 1 : 30);
  const rate = numberFlag(flags, "rate", 100);
  const sampleSeconds = numberFlag(flags, "sample-seconds", quick ? 2 : 10);
  const warmupSeconds = numberFlag(flags, "warmup-seconds", quick ? 10 : 120);
  const shape = flags.shape ?? "embedded";
  const name = `${shape} ${rate} msg/s`;
  console.error(`soak: ${name} for ${minutes} min`);
  const result = await runScenario({
    shape,
    mode: "rate",
    via: "gateway",
    G: 10,
    S: 50,
    K: 20,
    M: 0,
    W: 1,
    rate,
    rateSeconds: minutes * 60,
    sampleEveryMs: sampleSeconds * 1000,
  });
  const after = result.rssSamples.filter((s) => s.atMs >= warmupSeconds * 1000);
  const hours = after.map((s) => s.atMs / 3_600_000);
  const rss = after.map((s) => s.rssMiB);
  const line = (s) =>
    `${Math.round(s.atMs / 1000)}:${s.rssMiB.toFixed(1)}(${s.anonMiB.toFixed(1)}+${s.fileMiB.toFixed(1)})`;
  console.error(`soak: RSS samples (s: MiB (anonymous + file)): ${result.rssSamples.map(line).join(" ")}`);
  const span = after.length ? after[after.length - 1].atMs - after[0].atMs : 0;
  const third = (from, to) =>
    summarize(
      after
        .filter((s) => s.atMs - after[0].atMs >= from * span && s.atMs - after[0].atMs <= to * span)
        .map((s) => s.rssMiB),
    ).median;
  const firstThird = third(0, 1 / 3);
  const lastThird = third(2 / 3, 1);
  return {
    scenarios: {
      [name]: {
        minutes,
        messages: Math.round(rate * minutes * 60),
        rssStartMiB: rss[0],
        rssEndMiB: rss[rss.length - 1],
        rssMaxMiB: Math.max(...result.rssSamples.map((s) => s.rssMiB)),
        rssSlopeMiBPerHour: linearFit(hours, rss).slope,
        rssFirstThirdMiB: firstThird,
        rssLastThirdMiB: lastThird,
        rssGrowth: lastThird / firstThird,
        anonSlopeMiBPerHour: linearFit(
          hours,
          after.map((s) => s.anonMiB),
        ).slope,
        e2eP50Ms: result.e2eP50Ms,
        e2eP99Ms: result.e2eP99Ms,
        serverCpuPct: result.serverCpuPct,
      },
    },
    notes: [
      `${rate} messages/s offered for ${minutes} min; RSS read every ${sampleSeconds} s, the slope over the readings after the first ${warmupSeconds} s (${after.length} readings).`,
    ],
  };
}

runAsMain(import.meta.url, run);
