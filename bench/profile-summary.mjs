#!/usr/bin/env node
/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): the functions with the most self time, and
 * the self time per package/file, so a benchmark's hot path can be read without DevTools.
 *
 *   node bench/profile-summary.mjs FILE.cpuprofile [top=30] [--last SECONDS]
 *
 * `--last S` keeps only the samples of the profile's final S seconds (the steady state of a
 * benchmark, without its setup).
 */
import { readFileSync } from "node:fs";

const args = process.argv.slice(2);
const lastAt = args.indexOf("--last");
const lastSeconds = lastAt >= 0 ? Number(args.splice(lastAt, 2)[1]) : Number.POSITIVE_INFINITY;
const [file, topArg] = args;
if (!file) {
  console.error("usage: node bench/profile-summary.mjs FILE.cpuprofile [top]");
  process.exit(2);
}
const top = Number(topArg ?? 30);
const profile = JSON.parse(readFileSync(file, "utf8"));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = profile.timeDeltas;
const from = profile.endTime - lastSeconds * 1e6;
let at = profile.startTime;
for (let i = 0; i < profile.samples.length; i++) {
  at += dt[i] ?? 0;
  if (at < from) continue;
  self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (dt[i] ?? 0));
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
const fnTime = new Map();
const fileTime = new Map();
for (const [id, us] of self) {
  const { callFrame: f } = byId.get(id);
  const where = f.url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*\/packages\//, "packages/");
  const key = `${f.functionName || "(anonymous)"}  ${where}:${f.lineNumber + 1}`;
  fnTime.set(key, (fnTime.get(key) ?? 0) + us);
  const group = where.startsWith("packages/")
    ? where
    : where
        .split("/")
        .slice(0, where.startsWith("@") ? 2 : 1)
        .join("/");
  fileTime.set(group || f.functionName, (fileTime.get(group || f.functionName) ?? 0) + us);
}
const show = (map, n) =>
  [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(
      ([k, us]) =>
        `${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`,
    )
    .join("\n");
console.log(
  `total ${(total / 1000).toFixed(0)} ms sampled\n\nby function (self):\n${show(fnTime, top)}\n\nby file:\n${show(fileTime, 20)}`,
);
