// Times decoding an encoded ratchet tree with one version's ratchet tree decoder (1.6.4:
// ts-mls/ratchetTree.js decodeRatchetTree; 2.0: ratchetTreeDecoder, internal - not exported).
// Reports the first (cold) decode and the median of the next 15.
// usage: node tree-decode.mjs <v1|v2> <tree file>
import { readFileSync } from "node:fs";
import { loadVersion, median, nowMs } from "./lib.mjs";

const [v, file] = process.argv.slice(2);
const L = await loadVersion(v);
const bytes = new Uint8Array(readFileSync(file));
const times = [];
let leaves = 0;
for (let i = 0; i < 16; i++) {
  const t = nowMs();
  const tree = L.decodeTree(bytes);
  times.push(nowMs() - t);
  leaves = tree.filter((n) => n !== undefined && (n.nodeType === "leaf" || n.nodeType === 1)).length;
}
console.log(
  JSON.stringify({
    version: L.name,
    file: file.split("/").pop(),
    bytes: bytes.length,
    leaves,
    coldMs: +times[0].toFixed(2),
    medianMs: +median(times.slice(1)).toFixed(2),
  }),
);
