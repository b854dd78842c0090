// Orchestrates bench-one.mjs: for each round, suite and provider runs v1 and v2 in separate processes,
// alternating the order every round (A B, B A, A B) so background load hits both alike; prints all
// raw runs and a table of medians over the rounds.
// usage: node run.mjs [rounds=3] [N=2000] [providers=default,volly] [suites=xwing,x25519]
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { median } from "./lib.mjs";

const [roundsArg = "3", nArg = "2000", provArg = "default,volly", suiteArg = "xwing,x25519"] =
  process.argv.slice(2);
const rounds = Number(roundsArg);
const results = [];
for (let r = 0; r < rounds; r++) {
  for (const suite of suiteArg.split(","))
    for (const prov of provArg.split(",")) {
      const order = r % 2 === 0 ? ["v1", "v2"] : ["v2", "v1"];
      for (const v of order) {
        const out = execFileSync(process.execPath, ["bench-one.mjs", v, suite, prov, nArg], {
          cwd: import.meta.dirname,
          encoding: "utf8",
        });
        const res = { round: r, ...JSON.parse(out.trim().split("\n").pop()) };
        results.push(res);
        console.error(JSON.stringify(res));
      }
    }
}
writeFileSync(new URL("./results.json", import.meta.url), JSON.stringify(results, null, 1));
const keys = [
  "msgMedianUs",
  "msgUs",
  "msgCpuUs",
  "encMedianUs",
  "decMedianUs",
  "keyPackageMs",
  "commitAddMs",
  "welcomeMs",
];
const groups = new Map();
for (const r of results) {
  const k = `${r.suite}|${r.provider}|${r.version}`;
  if (!groups.has(k)) groups.set(k, []);
  groups.get(k).push(r);
}
const fmt = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(2));
console.log(`| suite | provider | ts-mls | ${keys.join(" | ")} |`);
console.log(`|---|---|---|${keys.map(() => "---:").join("|")}|`);
for (const [k, rs] of groups) {
  const [suite, prov, ver] = k.split("|");
  console.log(
    `| ${suite} | ${prov} | ${ver} | ${keys.map((key) => fmt(median(rs.map((r) => r[key])))).join(" | ")} |`,
  );
}
console.log(
  `(medians of ${rounds} runs; msg*/enc*/dec* in µs per 1 KiB message (msgMedianUs = median per-message wall, msgUs = mean wall, msgCpuUs = CPU), N=${nArg}; others in ms)`,
);
