// Builds an X-Wing group of <n> members with one version (alice creates, adds n-1 members in one
// Add commit: leaves populated, parent nodes blank, as in Volly's add-only commits) and writes
// the encoded ratchet tree to trees/<v>-<suite>-<n>.bin.
// usage: node tree-build.mjs <v1|v2> <n> [xwing|x25519]
import { writeFileSync } from "node:fs";
import { loadVersion, nowMs, SUITES } from "./lib.mjs";

const [v, nArg, suiteKey = "xwing"] = process.argv.slice(2);
const n = Number(nArg);
const L = await loadVersion(v);
const impl = await L.impl(SUITES[suiteKey], "volly");
let t = nowMs();
const kps = [];
for (let i = 0; i < n; i++) kps.push(await L.keyPackage(impl, `acct:dev${i}`, await L.sigKeys(impl)));
const tKp = nowMs() - t;
const g = await L.createGroup(impl, "big", kps[0]);
t = nowMs();
const c = await L.commit(
  impl,
  g,
  kps.slice(1).map((k) => L.addProposal(k.publicPackage)),
);
const tCommit = nowMs() - t;
const tree = L.encodeTree(c.newState);
writeFileSync(new URL(`./trees/${v}-${suiteKey}-${n}.bin`, import.meta.url), tree);
console.log(
  JSON.stringify({
    version: L.name,
    n,
    members: L.members(c.newState),
    treeBytes: tree.length,
    keyPackagesMs: Math.round(tKp),
    commitMs: Math.round(tCommit),
  }),
);
