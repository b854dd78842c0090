/**
 * crypto: MLS costs on one core with the built @volly/crypto (ts-mls), for Volly's default suite
 * X-Wing (MLS_256_XWING_AES256GCM_SHA512_Ed25519) and the classic X25519 suite side by side.
 *
 *   node bench/workloads/crypto.mjs [--messages 1000] [--key-packages 50] [--sizes 10,100,1000]
 *     [--samples 3] [--batch 100] [--suites X-Wing,X25519] [--quick]
 */
import {
  addMembers,
  createGroup,
  encryptApplication,
  generateIdentity,
  generateKeyPackage,
  groupMembers,
  joinFromWelcome,
  loadSuite,
  processMessage,
} from "@volly/crypto";
import { numberFlag, runAsMain } from "../lib/main.mjs";
import { mean, percentile } from "../lib/stats.mjs";

export const description =
  "MLS costs measured in-process with the built @volly/crypto (ts-mls 1.6.4), one scenario per " +
  "ciphersuite: X-Wing (MLS_256_XWING_AES256GCM_SHA512_Ed25519, Volly's default: X25519 + ML-KEM-768) " +
  "and X25519 (MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519). A 1 KiB application message is encrypted " +
  "by one member of a 2-member group and decrypted by the other (medians over 1,000 messages " +
  "after a warm-up of 500; encryptDecryptMs is the median of the per-message sum); the same is repeated in " +
  "the 1,000-member group. Commits: one member is added to a group of 10, 100 and 1,000 devices (the " +
  "committer's addMembers with a full UpdatePath, another member processing that commit, and the new " +
  "member joining from its Welcome plus the ratchet tree), median over a few samples per size; the " +
  "groups are grown by batched adds in between. Key package generation includes the KEM key pair and " +
  "the Ed25519 leaf signature (the device identity exists already).";

export const units = {
  encryptMs: "ms",
  decryptMs: "ms",
  encryptDecryptMs: "ms",
  encryptDecryptP99Ms: "ms",
  encryptDecryptMsIn1000: "ms",
  ciphertextBytes: "bytes",
  keyPackageMs: "ms",
  keyPackageBytes: "bytes",
  commitAdd1To10Ms: "ms",
  processAdd1To10Ms: "ms",
  joinAt10Ms: "ms",
  commitAdd1To100Ms: "ms",
  processAdd1To100Ms: "ms",
  joinAt100Ms: "ms",
  commitAdd1To1000Ms: "ms",
  processAdd1To1000Ms: "ms",
  joinAt1000Ms: "ms",
  ratchetTreeKiBAt1000: "KiB",
};

export const targets = [
  {
    scenario: "X-Wing",
    metric: "encryptDecryptMs",
    op: "<=",
    value: 0.5,
    label: "MLS encrypt + decrypt of a 1 KiB message ≤ 0.5 ms (issue 19)",
  },
];

export const defaultRuns = 3;

const SUITES = {
  "X-Wing": "MLS_256_XWING_AES256GCM_SHA512_Ed25519",
  X25519: "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519",
};

const median = (xs) => percentile(xs, 50);
const round = (v, digits = 3) => Number(v.toFixed(digits));
const since = (t) => performance.now() - t;

let deviceCounter = 0;
/** A fresh device: an Ed25519 identity and one key package for it. */
async function newDevice(suite) {
  const n = deviceCounter++;
  return generateKeyPackage(suite, generateIdentity(), { accountId: `acct-${n}`, deviceId: `dev-${n}` });
}

/** Sends `count` 1 KiB messages from `sender` to `receiver`; returns the timings and the advanced states. */
async function exchange(suite, sender, receiver, count) {
  const plaintext = new Uint8Array(1024).fill(42);
  const enc = [];
  const dec = [];
  const sum = [];
  let ciphertextBytes = 0;
  for (let i = 0; i < count; i++) {
    let t = performance.now();
    const sent = await encryptApplication(suite, sender, plaintext);
    const e = since(t);
    sender = sent.newGroup;
    ciphertextBytes = sent.ciphertext.length;
    t = performance.now();
    const got = await processMessage(suite, receiver, sent.ciphertext);
    const d = since(t);
    receiver = got.newGroup;
    if (got.plaintext?.length !== 1024) throw new Error("decrypted message has the wrong length");
    enc.push(e);
    dec.push(d);
    sum.push(e + d);
  }
  return { sender, receiver, enc, dec, sum, ciphertextBytes };
}

async function measureSuite(label, flags, quick) {
  const suite = await loadSuite(SUITES[label]);
  const messages = numberFlag(flags, "messages", quick ? 50 : 1000);
  const keyPackages = numberFlag(flags, "key-packages", quick ? 10 : 50);
  const sizes = (flags.sizes ?? (quick ? "10,100" : "10,100,1000")).split(",").map(Number);
  const samples = numberFlag(flags, "samples", quick ? 2 : 3);
  const batch = numberFlag(flags, "batch", 100);
  const out = {};

  // Key packages (identity generated outside the timed section).
  const kpTimes = [];
  let keyPackageBytes = 0;
  for (let i = 0; i < keyPackages; i++) {
    const identity = generateIdentity();
    const t = performance.now();
    const kp = await generateKeyPackage(suite, identity, { accountId: `kp-${i}`, deviceId: `kp-${i}` });
    kpTimes.push(since(t));
    keyPackageBytes = kp.keyPackage.length;
  }
  out.keyPackageMs = round(median(kpTimes));
  out.keyPackageBytes = keyPackageBytes;

  // 1 KiB messages in a 2-member group.
  let committer = await createGroup(suite, `bench-${label}-pair`, await newDevice(suite));
  const bobKp = await newDevice(suite);
  const pair = await addMembers(suite, committer, [bobKp.keyPackage]);
  const bob = await joinFromWelcome(suite, pair.welcome, pair.ratchetTree, bobKp);
  committer = pair.newGroup;
  // A client that sends and receives keeps its JIT warm: measure after 500 messages each way, not
  // while V8 is still compiling ts-mls's and @noble's hot functions (300 cold messages read ~35 %
  // slower).
  const warm = await exchange(suite, committer, bob, Math.min(500, messages));
  const m = await exchange(suite, warm.sender, warm.receiver, messages);
  out.encryptMs = round(median(m.enc));
  out.decryptMs = round(median(m.dec));
  out.encryptDecryptMs = round(median(m.sum));
  out.encryptDecryptP99Ms = round(percentile(m.sum, 99));
  out.ciphertextBytes = m.ciphertextBytes;

  // Commits: grow one group to each size, then add one member `samples` times.
  committer = await createGroup(suite, `bench-${label}-big`, await newDevice(suite));
  const receiverKp = await newDevice(suite);
  const first = await addMembers(suite, committer, [receiverKp.keyPackage]);
  committer = first.newGroup;
  let receiver = await joinFromWelcome(suite, first.welcome, first.ratchetTree, receiverKp);
  let ratchetTreeBytes = 0;
  for (const size of sizes) {
    // Grow to `size` members with batched adds (the receiver keeps up by processing each commit).
    for (let have = groupMembers(committer).length; have < size; have = groupMembers(committer).length) {
      const count = Math.min(batch, size - have);
      const kps = [];
      for (let i = 0; i < count; i++) kps.push((await newDevice(suite)).keyPackage);
      const grown = await addMembers(suite, committer, kps);
      committer = grown.newGroup;
      receiver = (await processMessage(suite, receiver, grown.commit)).newGroup;
    }
    const commitMs = [];
    const processMs = [];
    const joinMs = [];
    for (let s = 0; s < samples; s++) {
      const newcomer = await newDevice(suite);
      let t = performance.now();
      const add = await addMembers(suite, committer, [newcomer.keyPackage]);
      commitMs.push(since(t));
      committer = add.newGroup;
      t = performance.now();
      receiver = (await processMessage(suite, receiver, add.commit)).newGroup;
      processMs.push(since(t));
      t = performance.now();
      await joinFromWelcome(suite, add.welcome, add.ratchetTree, newcomer);
      joinMs.push(since(t));
      ratchetTreeBytes = add.ratchetTree.length;
    }
    out[`commitAdd1To${size}Ms`] = round(median(commitMs));
    out[`processAdd1To${size}Ms`] = round(median(processMs));
    out[`joinAt${size}Ms`] = round(median(joinMs));
    console.error(
      `crypto: ${label} size ${size}: commit ${mean(commitMs).toFixed(1)} ms, process ${mean(processMs).toFixed(1)} ms, join ${mean(joinMs).toFixed(1)} ms`,
    );
  }
  if (sizes.includes(1000)) {
    out.ratchetTreeKiBAt1000 = round(ratchetTreeBytes / 1024, 1);
    const big = await exchange(suite, committer, receiver, Math.min(100, messages));
    out.encryptDecryptMsIn1000 = round(median(big.sum));
  }
  return out;
}

async function run(flags) {
  const quick = flags.quick === "true";
  const labels = (flags.suites ?? Object.keys(SUITES).join(",")).split(",");
  const scenarios = {};
  for (const label of labels) {
    if (!SUITES[label]) throw new Error(`unknown suite ${label}; known: ${Object.keys(SUITES).join(", ")}`);
    const t = performance.now();
    scenarios[label] = await measureSuite(label, flags, quick);
    console.error(`crypto: ${label} done in ${(since(t) / 1000).toFixed(1)} s`);
  }
  const notes = [
    `Groups are grown to each size by batched adds of ${numberFlag(flags, "batch", 100)} members (one commit per batch).`,
  ];
  const xwing = scenarios["X-Wing"]?.encryptDecryptMs;
  const target = targets[0].value;
  if (xwing > target) {
    notes.push(
      `X-Wing encrypt + decrypt of 1 KiB is above issue 19's ${target} ms (X25519 costs about the same: the KEM ` +
        "plays no part in application messages). A CPU profile (node --cpu-prof over 3,000 messages in a " +
        "2-member group; bench/profile-summary.mjs) of Volly's provider (ts-mls's noble provider, HKDF " +
        "from @noble/hashes, Ed25519 through WebCrypto with keys imported once): Ed25519 sign and verify " +
        "≈ 24 %, waiting for those WebCrypto jobs ≈ 19 %, AES-256-GCM from @noble/ciphers ≈ 18 %, SHA-512 " +
        "(HKDF of the secret tree's ratchets) ≈ 15 %, ts-mls's TLS codec ≈ 11 %, GC ≈ 4 %. WebCrypto's " +
        "AES-GCM is slower here (each message key is used once: importKey plus a thread-pool hop per call, " +
        "≈ +0.1 ms a message), @noble's Ed25519 too (≈ 10×), and ts-mls 2.0.0-rc.10 was slower with the same " +
        "provider (590 → 710 µs). What is left is the number of calls per message inside ts-mls, or " +
        "node:crypto, which Volly's rule (ts-mls, @noble and WebCrypto) excludes. See bench/optimizations.md.",
    );
  }
  return { scenarios, notes };
}

runAsMain(import.meta.url, run);
