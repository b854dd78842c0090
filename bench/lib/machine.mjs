import { execFileSync } from "node:child_process";
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
