import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";

/** What the benchmarks ran on: CPU model and count, memory (GiB), OS, Node, date, commit. */
export function machineInfo() {
  let commit = "unknown";
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
  } catch {}
  const list = cpus();
  return {
    cpuModel: list[0]?.model ?? "unknown",
    cpus: list.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${process.platform} ${process.arch}`,
    node: process.version,
    date: new Date().toISOString(),
    commit,
  };
}

/** The load average now, 1 / 5 / 15 min, as /proc/loadavg says it ("1.20 0.90 0.75"; Linux). */
export function loadAverage() {
  return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
}
