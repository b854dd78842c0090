/**
 * commit-inspection: what the delivery service's verification of a commit costs (inspectCommit,
 * inspectGroupInfo in @volly/crypto), for groups of 10 and 1,000 devices on Volly's default suite
 * (X-Wing), in-process on one core.
 *
 *   node bench/workloads/commit-inspection.mjs [--sizes 10,1000] [--samples 30] [--quick]
 */
import {
  addMembers,
  createGroup,
  generateIdentity,
  generateKeyPackage,
  inspectCommit,
  inspectGroupInfo,
  loadSuite,
  publicGroupState,
  removeMembers,
} from "@volly/crypto";
// biome-ignore lint/style/noRestrictedImports: the baseline this bench compares inspectCommit against is ts-mls's own full tree decoding
import { decodeRatchetTree } from "ts-mls/ratchetTree.js";
import { numberFlag, runAsMain } from "../lib/main.mjs";
import { percentile } from "../lib/stats.mjs";

export const description =
  "The delivery service's checks of a commit, measured in-process with the built @volly/crypto " +
  "(ts-mls 1.6.4, X-Wing suite). A group of N devices is created by one commit of N−1 Adds; then, " +
  "against the stored GroupInfo and ratchet tree of that epoch, inspectCommit verifies a commit " +
  "adding 1 device and one removing 1 device (framing, group, epoch, sender leaf, FramedContent " +
  "signature, proposals mapped to device ids), and inspectGroupInfo verifies the next epoch's " +
  "GroupInfo and tree (signature by the signer leaf, members listed), without and with the tree-hash " +
  "check (which decodes the whole tree with ts-mls). For comparison: ts-mls's full decoding of the " +
  "tree, which inspectCommit avoids by indexing the tree's length prefixes. Medians over 30 " +
  "repetitions after 5 warm-ups; the creation commit (N−1 Adds) is inspected 3 times.";

export const units = {
  treeKiB: "KiB",
  commitAdd1Bytes: "bytes",
  inspectCommitAdd1Ms: "ms",
  inspectCommitRemove1Ms: "ms",
  inspectCreationCommitMs: "ms",
  inspectGroupInfoMs: "ms",
  inspectGroupInfoWithTreeHashMs: "ms",
  decodeTreeTsMlsMs: "ms",
};

export const targets = [
  {
    scenario: "1000 devices",
    metric: "inspectCommitAdd1Ms",
    op: "<=",
    value: 20,
    label: "verifying a 1-Add commit in a 1,000-device group ≤ 20 ms",
  },
];

export const defaultRuns = 3;

const SUITE = "MLS_256_XWING_AES256GCM_SHA512_Ed25519";
const round = (v, digits = 3) => Number(v.toFixed(digits));

/** Median wall time (ms) of `fn` over `samples` runs after `warmup` runs. */
async function timeMs(fn, samples, warmup = 5) {
  for (let i = 0; i < warmup; i++) await fn();
  const times = [];
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return round(percentile(times, 50));
}

let counter = 0;
async function keyPackage(suite) {
  const n = counter++;
  return generateKeyPackage(suite, generateIdentity(), { accountId: `acct-${n}`, deviceId: `dev-${n}` });
}

async function measure(suite, size, samples) {
  const creator = await createGroup(suite, `bench-inspect-${size}`, await keyPackage(suite));
  const epoch0 = await publicGroupState(suite, creator);
  const kps = [];
  for (let i = 1; i < size; i++) kps.push((await keyPackage(suite)).keyPackage);
  const created = await addMembers(suite, creator, kps);
  const epoch1 = await publicGroupState(suite, created.newGroup);
  const add = await addMembers(suite, created.newGroup, [(await keyPackage(suite)).keyPackage]);
  const remove = await removeMembers(suite, created.newGroup, [size - 1]);
  const next = await publicGroupState(suite, add.newGroup);

  const out = { treeKiB: round(epoch1.ratchetTree.length / 1024, 1), commitAdd1Bytes: add.commit.length };
  out.inspectCommitAdd1Ms = await timeMs(() => inspectCommit(suite, add.commit, epoch1), samples);
  out.inspectCommitRemove1Ms = await timeMs(() => inspectCommit(suite, remove.commit, epoch1), samples);
  out.inspectCreationCommitMs = await timeMs(() => inspectCommit(suite, created.commit, epoch0), 3, 1);
  const expected = { groupId: next.groupId, epoch: next.epoch };
  out.inspectGroupInfoMs = await timeMs(
    () => inspectGroupInfo(suite, next.groupInfo, next.ratchetTree, expected),
    samples,
  );
  out.inspectGroupInfoWithTreeHashMs = await timeMs(
    () => inspectGroupInfo(suite, next.groupInfo, next.ratchetTree, expected, { verifyTreeHash: true }),
    Math.min(samples, 10),
    2,
  );
  out.decodeTreeTsMlsMs = await timeMs(
    () => decodeRatchetTree(epoch1.ratchetTree, 0),
    Math.min(samples, 10),
    2,
  );
  return out;
}

async function run(flags) {
  const quick = flags.quick === "true";
  const sizes = (flags.sizes ?? (quick ? "10,100" : "10,1000")).split(",").map(Number);
  const samples = numberFlag(flags, "samples", quick ? 10 : 30);
  const suite = await loadSuite(SUITE);
  const scenarios = {};
  for (const size of sizes) {
    const t = performance.now();
    scenarios[`${size} devices`] = await measure(suite, size, samples);
    console.error(
      `commit-inspection: ${size} devices done in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );
  }
  return {
    scenarios,
    notes: [
      "inspectCommit never decodes the whole ratchet tree: it indexes its length prefixes and reads only the " +
        "sender's and removed leaves, so the delivery service can pass the stored tree bytes as they are " +
        "(no per-epoch cache). decodeTreeTsMlsMs is what a full ts-mls decoding would add to every commit.",
    ],
  };
}

runAsMain(import.meta.url, run);
