// Alternates tree-decode.mjs runs (v1, v2 / v2, v1 / ...) over the trees in trees/ and prints the
// median over rounds of each process's median decode time (and of the cold first decode).
// usage: node tree-run.mjs [rounds=3]   (build trees first: node tree-build.mjs v1 200; ... v1 1000; v2 ...)
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { median } from "./lib.mjs";

const rounds = Number(process.argv[2] ?? 3);
const files = readdirSync(new URL("./trees/", import.meta.url))
  .filter((f) => f.endsWith(".bin"))
  .sort();
const res = [];
for (let r = 0; r < rounds; r++)
  for (const f of files)
    for (const v of r % 2 ? ["v2", "v1"] : ["v1", "v2"]) {
      const out = JSON.parse(
        execFileSync(process.execPath, ["tree-decode.mjs", v, `trees/${f}`], {
          cwd: import.meta.dirname,
          encoding: "utf8",
        }).trim(),
      );
      console.error(JSON.stringify(out));
      res.push(out);
    }
console.log(
  "| tree file (built by) | bytes | leaves | decoder | cold first decode ms | warm decode ms (median) |\n|---|---:|---:|---|---:|---:|",
);
for (const f of files)
  for (const v of ["1.6.4", "2.0.0-rc.10"]) {
    const rs = res.filter((x) => x.file === f && x.version === v);
    console.log(
      `| ${f} | ${rs[0].bytes} | ${rs[0].leaves} | ${v} | ${median(rs.map((x) => x.coldMs)).toFixed(1)} | ${median(rs.map((x) => x.medianMs)).toFixed(1)} |`,
    );
  }
