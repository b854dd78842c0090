#!/usr/bin/env node
/**
 * Counts a server's garbage collections during a benchmark. Two uses:
 *
 * - As a preload of the server processes, it appends every collection (ms since start, V8's kind:
 *   1 scavenge, 2 minor mark-sweep, 4 mark-compact, 8 incremental marking, 16 weak callbacks; and
 *   its duration in ms) to a file per process in `$VOLLY_GC_LOG_DIR` (default `/tmp/volly-gc`):
 *
 *     node bench/workloads/fanout.mjs --shapes embedded --modes rate \
 *       --server-node-args=--import=$PWD/bench/gc-log.mjs
 *
 * - Run directly, it summarises those files, one line per `volly serve` process in start order:
 *   the scavenges of its last S seconds (default 10: the rated phase of a `--modes rate` run, which
 *   ends the process) and the time they took.
 *
 *     node bench/gc-log.mjs [DIR] [--last SECONDS]
 */
import { appendFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PerformanceObserver } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

const DEFAULT_DIR = process.env.VOLLY_GC_LOG_DIR ?? "/tmp/volly-gc";

function record() {
  mkdirSync(DEFAULT_DIR, { recursive: true });
  const file = join(DEFAULT_DIR, `${Date.now()}-${process.pid}.log`);
  writeFileSync(file, `${process.argv.join(" ")}\n`);
  new PerformanceObserver((list) => {
    const lines = list
      .getEntries()
      .map((e) => `${Math.round(e.startTime)} ${e.detail?.kind ?? 0} ${e.duration.toFixed(2)}\n`);
    appendFileSync(file, lines.join(""));
  }).observe({ entryTypes: ["gc"] });
}

function summarise(args) {
  const lastAt = args.indexOf("--last");
  const lastMs = (lastAt >= 0 ? Number(args.splice(lastAt, 2)[1]) : 10) * 1000;
  const dir = args[0] ?? DEFAULT_DIR;
  for (const name of readdirSync(dir).sort()) {
    const [command, ...lines] = readFileSync(join(dir, name), "utf8").trim().split("\n");
    if (!command?.includes(" serve ")) continue;
    const scavenges = lines.map((l) => l.split(" ").map(Number)).filter(([, kind]) => kind === 1);
    const end = Math.max(...scavenges.map(([at]) => at));
    const last = scavenges.filter(([at]) => at > end - lastMs);
    const ms = last.reduce((sum, [, , duration]) => sum + duration, 0);
    console.log(
      `${name}: ${scavenges.length} scavenges in all; ${last.length} in the last ${lastMs / 1000} s, ${ms.toFixed(0)} ms`,
    );
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) summarise(process.argv.slice(2));
else record();
