/**
 * Compares two sets of V8 .cpuprofile files (from `node --cpu-prof`) by self time: A and B are
 * comma-separated lists, each summed (e.g. the three nodes of a scaled-3 run against the one node
 * of scaled-1, both having carried the same messages). Prints the busy time of each (idle left
 * out), then the packages/files and the functions whose self time grew most from A to B (ms).
 *
 *   node bench/profile-diff.mjs A1.cpuprofile[,A2…] B1.cpuprofile[,B2…] [rows=28]
 *
 * Self time is wall-clock sampled: a process switched out inside a call is counted in that call.
 */
import { readFileSync } from "node:fs";

/** A sample's file, short: a package's name, a workspace path, or the function for natives. */
function fileOf(url, functionName) {
  const file = url
    .replace(/^file:\/\//, "")
    .replace(/.*\/node_modules\//, "")
    .replace(/.*\/packages\//, "packages/");
  if (file.startsWith("packages/") || file.startsWith("node:"))
    return file.startsWith("node:") ? file.split("/")[0] : file;
  if (file === "") return functionName || "(native)";
  return file
    .split("/")
    .slice(0, file.startsWith("@") ? 2 : 1)
    .join("/");
}

/** Self time (ms) by file and by function over `files`, and the busy total. */
function selfTimes(files) {
  const byFunction = new Map();
  const byFile = new Map();
  let busy = 0;
  for (const path of files) {
    const profile = JSON.parse(readFileSync(path, "utf8"));
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    profile.samples.forEach((id, i) => {
      const { functionName, url, lineNumber } = nodes.get(id).callFrame;
      if (functionName === "(idle)") return;
      const ms = (profile.timeDeltas[i] ?? 0) / 1000;
      busy += ms;
      const fn = `${functionName || "(anonymous)"} ${fileOf(url, functionName)}:${lineNumber + 1}`;
      byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms);
      const file = fileOf(url, functionName);
      byFile.set(file, (byFile.get(file) ?? 0) + ms);
    });
  }
  return { byFunction, byFile, busy };
}

const [a, b] = [process.argv[2], process.argv[3]].map((list) => {
  if (!list) {
    console.error("usage: node bench/profile-diff.mjs A.cpuprofile[,…] B.cpuprofile[,…] [rows]");
    process.exit(2);
  }
  return selfTimes(list.split(","));
});
const rows = Number(process.argv[4] ?? 28);
console.log(`busy ms: A ${a.busy.toFixed(0)}, B ${b.busy.toFixed(0)}`);
for (const [title, key] of [
  ["by file", "byFile"],
  ["by function", "byFunction"],
]) {
  console.log(`\n${title}: A ms, B ms, B − A`);
  const names = new Set([...a[key].keys(), ...b[key].keys()]);
  const diffs = [...names].map((n) => [n, a[key].get(n) ?? 0, b[key].get(n) ?? 0]);
  diffs.sort((x, y) => y[2] - y[1] - (x[2] - x[1]));
  for (const [name, x, y] of diffs.slice(0, rows)) {
    console.log(
      `${x.toFixed(0).padStart(7)} ${y.toFixed(0).padStart(7)} ${(y - x).toFixed(0).padStart(7)}  ${name}`,
    );
  }
}
