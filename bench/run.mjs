#!/usr/bin/env node
/**
 * `npm run bench`: runs the benchmark workloads on this machine and writes bench/report.md and
 * bench/report.json (figures as min / median / max over repeated runs, the machine they ran on, and
 * each target met or not). Build first (`npm run build`); the services the scaled shapes need
 * (PostgreSQL, Redis) must be running on loopback.
 *
 *   node bench/run.mjs [--only fanout,crypto] [--runs 3] [--quick] [--update] [-- workload flags…]
 *
 * With --only, the figures go to bench/report-<names>.{md,json}; with --only and --update they
 * replace those workloads in bench/report.{md,json} and keep the others' figures (re-measuring one
 * workload after a change without re-running them all). Each workload keeps the date and commit it
 * was measured at.
 *
 * Each workload is bench/workloads/<name>.mjs: it exports `description`, `units` ({metric: unit}),
 * `targets` ([{scenario, metric, op: ">=" | "<=", value, label}]) and `defaultRuns`, and run as a
 * script (`node bench/workloads/<name>.mjs [--quick] [flags]`) it prints one JSON line
 * `{ scenarios: {scenario: {metric: number}}, notes?: string[] }`. Every run is a fresh process.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { machineInfo } from "./lib/machine.mjs";
import { parseFlags } from "./lib/main.mjs";
import { summarize } from "./lib/stats.mjs";

const BENCH = import.meta.dirname;
const ALL = [
  "fanout",
  "connections",
  "crypto",
  "group-state",
  "channel-membership",
  "community-join",
  "commit-inspection",
  "big-commit",
  "files",
  "web",
  "web-start",
  "calls",
  "search",
  "daemon",
  "mqtt",
  "p2p",
  "soak",
];

const dash = process.argv.indexOf("--");
const flags = parseFlags(dash >= 0 ? process.argv.slice(2, dash) : process.argv.slice(2));
const passThrough = dash >= 0 ? process.argv.slice(dash + 1) : [];
const only = flags.only ? flags.only.split(",") : ALL;
const quick = flags.quick === "true";

function runOnce(file, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--expose-gc", file, ...args], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (c) => {
      out += c;
    });
    child.once("exit", (code) => {
      const last = out.trim().split("\n").pop();
      if (code !== 0 || !last) return reject(new Error(`${file} exited ${code}`));
      resolve(JSON.parse(last));
    });
  });
}

const update = flags.update === "true";
const previous =
  update && existsSync(join(BENCH, "report.json"))
    ? JSON.parse(readFileSync(join(BENCH, "report.json"), "utf8"))
    : undefined;
/** The processors a report's figures were measured on: "2 × <model>". */
const cpuOf = (machine) => `${machine.cpus} × ${machine.cpuModel}`;
const report = { machine: machineInfo(), workloads: {} };
for (const [name, w] of Object.entries(previous?.workloads ?? {})) {
  report.workloads[name] = {
    ...w,
    measured: {
      ...(w.measured ?? { date: previous.machine.date, commit: previous.machine.commit }),
      cpu: w.measured?.cpu ?? cpuOf(previous.machine),
    },
  };
}
for (const name of only) {
  const file = join(BENCH, "workloads", `${name}.mjs`);
  if (!existsSync(file)) {
    console.error(`bench: no workload ${name}`);
    continue;
  }
  const mod = await import(file);
  const runs = Number(flags.runs ?? (quick ? 1 : (mod.defaultRuns ?? 3)));
  const results = [];
  const failures = [];
  for (let i = 0; i < runs; i++) {
    console.error(`bench: ${name} run ${i + 1}/${runs}`);
    try {
      results.push(await runOnce(file, [...(quick ? ["--quick"] : []), ...passThrough]));
    } catch (error) {
      console.error(`bench: ${name} run ${i + 1} failed: ${error.message}`);
      failures.push(`Run ${i + 1} of ${runs} failed: ${error.message} (see the console output).`);
    }
  }
  if (results.length === 0) results.push({ scenarios: {} });
  const scenarios = {};
  for (const scenario of Object.keys(results[0].scenarios)) {
    scenarios[scenario] = {};
    for (const metric of Object.keys(results[0].scenarios[scenario])) {
      const values = results.map((r) => r.scenarios[scenario]?.[metric]).filter((v) => typeof v === "number");
      scenarios[scenario][metric] = { ...summarize(values), runs: values.length };
    }
  }
  const targets = (mod.targets ?? []).map((t) => {
    const median = scenarios[t.scenario]?.[t.metric]?.median;
    const met = median === undefined ? null : t.op === ">=" ? median >= t.value : median <= t.value;
    return { ...t, median, met };
  });
  report.workloads[name] = {
    description: mod.description,
    units: mod.units ?? {},
    runs: results.length,
    scenarios,
    targets,
    notes: [...new Set(results.flatMap((r) => r.notes ?? [])), ...failures],
    measured: { date: report.machine.date, commit: report.machine.commit, cpu: cpuOf(report.machine) },
  };
}

const fmt = (v) =>
  v === undefined || Number.isNaN(v)
    ? "–"
    : Math.abs(v) >= 100
      ? Math.round(v).toLocaleString("en-US")
      : Number(v.toPrecision(3)).toString();

function markdown(r) {
  const m = r.machine;
  const lines = [
    "# Volly benchmark report",
    "",
    `Generated by \`npm run bench\` on ${m.date.slice(0, 10)} at commit \`${m.commit}\`.`,
    "",
    `Machine of this update: ${cpuOf(m)}, ${m.memoryGiB} GiB RAM, ${m.os}, Node ${m.node} (each workload names the processors it was measured on).`,
    "Figures are min / median / max over the runs shown; the server and the load generator share the machine.",
    "",
  ];
  for (const [name, w] of Object.entries(r.workloads)) {
    const at = w.measured
      ? ` Measured on ${w.measured.date.slice(0, 10)} at commit \`${w.measured.commit}\`${w.measured.cpu ? ` (${w.measured.cpu})` : ""}.`
      : "";
    lines.push(`## ${name}`, "", w.description ?? "", "", `Runs: ${w.runs}.${at}`, "");
    const metrics = [...new Set(Object.values(w.scenarios).flatMap((s) => Object.keys(s)))];
    if (metrics.length === 0) {
      for (const note of w.notes) lines.push(`- ${note}`);
      lines.push("");
      continue;
    }
    lines.push("| scenario | metric | unit | min | median | max |", "|---|---|---|---:|---:|---:|");
    for (const [scenario, values] of Object.entries(w.scenarios)) {
      for (const metric of metrics) {
        const v = values[metric];
        if (!v) continue;
        lines.push(
          `| ${scenario} | ${metric} | ${w.units[metric] ?? ""} | ${fmt(v.min)} | ${fmt(v.median)} | ${fmt(v.max)} |`,
        );
      }
    }
    lines.push("");
    if (w.targets.length) {
      lines.push("| target | median | met |", "|---|---:|---|");
      for (const t of w.targets) {
        lines.push(
          `| ${t.label} | ${fmt(t.median)} | ${t.met === null ? "not measured" : t.met ? "yes" : "**no**"} |`,
        );
      }
      lines.push("");
    }
    for (const note of w.notes) lines.push(`- ${note}`);
    if (w.notes.length) lines.push("");
  }
  const opt = join(BENCH, "optimizations.md");
  if (existsSync(opt)) lines.push(readFileSync(opt, "utf8").trim(), "");
  return `${lines.join("\n")}\n`;
}

const name = only.length === ALL.length || update ? "report" : `report-${only.join("-")}`;
writeFileSync(join(BENCH, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(join(BENCH, `${name}.md`), markdown(report));
// Formatted as `biome check` expects, so a committed report keeps the lint green.
const biome = createRequire(import.meta.url).resolve("@biomejs/biome/bin/biome");
spawnSync(
  process.execPath,
  [biome, "format", "--write", join(BENCH, `${name}.md`), join(BENCH, `${name}.json`)],
  {
    stdio: "ignore",
  },
);
console.error(`bench: wrote bench/${name}.md and bench/${name}.json`);
