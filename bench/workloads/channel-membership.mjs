/**
 * channel-membership: what a community channel's size costs the clients when its membership
 * changes, at 500, 1,000 and 2,000 devices (500 members × 4 devices is the channel cap): a member's
 * commit adding or removing one device, another member processing it, a newcomer joining by
 * external commit (how a member who gains VIEW_CHANNEL gets in with nobody else online), and the
 * bytes involved (the state a client keeps, the tree and GroupInfo the server serves).
 *
 *   node bench/workloads/channel-membership.mjs [--sizes 500,1000,2000] [--repeats 5] [--quick]
 */
import {
  addMembers,
  decodeGroup,
  encodeGroup,
  joinExternally,
  loadSuite,
  processMessage,
  publicGroupState,
  removeMembers,
} from "@volly/crypto";
import { numberFlag, runAsMain } from "../lib/main.mjs";
import { buildGroup, newDevice } from "../lib/mls-groups.mjs";
import { percentile } from "../lib/stats.mjs";

export const description =
  "Client time of membership changes in one MLS group of N devices (default suite X-Wing), built " +
  "in-process: a member's commit that adds one device (key package in hand) or removes one, another " +
  "member processing that commit, and a device that is not a member joining by external commit from " +
  "the GroupInfo and ratchet tree the server serves (RFC 9420 §12.4.3.2). Medians over the repeats, " +
  "each from the same epoch's state (decoded afresh outside the timing).";

export const units = {
  addCommitMs: "ms",
  removeCommitMs: "ms",
  processAddMs: "ms",
  externalJoinMs: "ms",
  processExternalJoinMs: "ms",
  stateBytes: "bytes",
  ratchetTreeBytes: "bytes",
  groupInfoBytes: "bytes",
  addCommitBytes: "bytes",
  setupS: "s",
};

export const defaultRuns = 1;

const round = (v) => Math.round(v * 100) / 100;
const median = (xs) => percentile(xs, 50);

/** Times `fn` on each of `repeats` fresh copies of `state`; returns the median ms and the last result. */
async function timed(repeats, state, fn) {
  const encoded = encodeGroup(state);
  const times = [];
  let result;
  for (let i = 0; i < repeats; i++) {
    const copy = decodeGroup(encoded.slice()); // secrets are zeroed in place once used: no shared bytes
    const t = performance.now();
    result = await fn(copy);
    times.push(performance.now() - t);
  }
  return { ms: median(times), result };
}

async function measure(suite, size, repeats) {
  const t0 = performance.now();
  const { creator, receiver } = await buildGroup(suite, size);
  const setupS = (performance.now() - t0) / 1000;
  const joiner = await newDevice(suite);
  const add = await timed(repeats, creator, (g) => addMembers(suite, g, [joiner.keyPackage]));
  const remove = await timed(repeats, creator, (g) => removeMembers(suite, g, [1]));
  const processAdd = await timed(repeats, receiver, (g) => processMessage(suite, g, add.result.commit));
  const published = await publicGroupState(suite, creator);
  const outsider = await newDevice(suite);
  const joins = [];
  let joined;
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    joined = await joinExternally(
      suite,
      published.groupInfo,
      published.ratchetTree,
      outsider.identity,
      outsider.credential,
    );
    joins.push(performance.now() - t);
  }
  const processJoin = await timed(repeats, receiver, (g) => processMessage(suite, g, joined.commit));
  const figures = {
    addCommitMs: round(add.ms),
    removeCommitMs: round(remove.ms),
    processAddMs: round(processAdd.ms),
    externalJoinMs: round(median(joins)),
    processExternalJoinMs: round(processJoin.ms),
    stateBytes: encodeGroup(creator).length,
    ratchetTreeBytes: published.ratchetTree.length,
    groupInfoBytes: published.groupInfo.length,
    addCommitBytes: add.result.commit.length,
    setupS: round(setupS),
  };
  console.error(
    `channel-membership: ${size} devices (setup ${setupS.toFixed(1)} s): ${JSON.stringify(figures)}`,
  );
  return figures;
}

async function run(flags) {
  const quick = flags.quick === "true";
  const sizes = (flags.sizes ?? (quick ? "500" : "500,1000,2000")).split(",").map(Number);
  const repeats = numberFlag(flags, "repeats", quick ? 2 : 5);
  const suite = await loadSuite();
  const scenarios = {};
  for (const size of sizes) scenarios[`${size} devices`] = await measure(suite, size, repeats);
  return {
    scenarios,
    notes: [
      "Times are one client's CPU time for the MLS operation alone (no network, no storage); " +
        "stateBytes is ts-mls's encoding of a member's whole group state, ratchetTreeBytes and " +
        "groupInfoBytes what the server serves a device that joins by external commit. setupS builds " +
        "the group (key packages, commits of up to 500 Adds) and is not part of the figures.",
      "The groups are filled by big Add commits, which leaves the tree's parent nodes blank or full of " +
        "unmerged leaves: a commit with a path (remove, external join) then encrypts to about one " +
        "HPKE recipient per member (X-Wing: ML-KEM-768 plus X25519 in pure JS), the worst case. A " +
        "profile of one external join at 500 devices: 52% @hpke/common (X25519), 19% ML-KEM. Trees " +
        "grown by external joins are fuller, but a join still validates the whole tree (O(n)).",
    ],
  };
}

runAsMain(import.meta.url, run);
