// One benchmark run of one ts-mls version, in its own process (clean JIT / caches).
// usage: node bench-one.mjs <v1|v2> <xwing|x25519> <default|volly> [N=2000]
// Prints one JSON line: medians in ms for key package generation, an Add commit (1 member added to a
// 1-member group), Welcome processing (joinGroup incl. decoding Welcome + out-of-band tree), and
// µs per 1 KiB application message (alice createApplicationMessage + encode, bob decode +
// processPrivateMessage), over N messages after a 500-message warm-up: msgUs = mean wall time,
// msgMedianUs = median of the per-message wall time (robust to load spikes), msgCpuUs = process CPU
// time (all threads, incl. WebCrypto's pool) per message.
import { loadVersion, median, nowMs, SUITES } from "./lib.mjs";

const [v = "v1", suiteKey = "xwing", kind = "default", nArg = "2000"] = process.argv.slice(2);
const N = Number(nArg);
const K = 20; // repetitions for the per-operation timings
const L = await loadVersion(v);
const suite = SUITES[suiteKey];
const impl = await L.impl(suite, kind);
const zero = (consumed) => {
  for (const c of consumed) c.fill(0);
};

// key package generation (existing Ed25519 identity, as Volly's generateKeyPackage does)
const sig = await L.sigKeys(impl);
const kpTimes = [];
for (let i = 0; i < K + 5; i++) {
  const t = nowMs();
  await L.keyPackage(impl, `acct:dev${i}`, sig);
  if (i >= 5) kpTimes.push(nowMs() - t);
}

// Add commit + Welcome processing, each on a fresh 1-member group
const commitTimes = [],
  welcomeTimes = [];
let alice, bob;
for (let i = 0; i < K + 3; i++) {
  const a = await L.keyPackage(impl, "acct:alice", await L.sigKeys(impl));
  const b = await L.keyPackage(impl, "acct:bob", await L.sigKeys(impl));
  const group = await L.createGroup(impl, `group-${i}`, a);
  const kpBytes = L.encodeKeyPackage(b);
  let t = nowMs();
  const c = await L.commit(impl, group, [L.addProposal(L.decodeKeyPackage(kpBytes))], {
    publicMessage: true,
  });
  const tCommit = nowMs() - t;
  const treeBytes = L.encodeTree(c.newState);
  t = nowMs();
  const joined = await L.join(impl, c.welcome, b, treeBytes);
  const tWelcome = nowMs() - t;
  if (i >= 3) {
    commitTimes.push(tCommit);
    welcomeTimes.push(tWelcome);
  }
  alice = c.newState;
  bob = joined;
}

// 1 KiB application messages, alice -> bob
const payload = new Uint8Array(1024);
for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff;
let encMs = 0,
  decMs = 0;
const per = new Float64Array(N),
  perEnc = new Float64Array(N),
  perDec = new Float64Array(N);
let idx = 0;
const round = async (measure) => {
  const t = nowMs();
  const e = await L.encrypt(impl, alice, payload);
  zero(e.consumed);
  alice = e.newState;
  const t1 = nowMs();
  const d = await L.process(impl, bob, e.bytes);
  zero(d.consumed);
  bob = d.newState;
  const t2 = nowMs();
  if (d.kind !== "applicationMessage" || d.plaintext.length !== 1024) throw new Error("bad decrypt");
  if (measure) {
    encMs += t1 - t;
    decMs += t2 - t1;
    perEnc[idx] = t1 - t;
    perDec[idx] = t2 - t1;
    per[idx++] = t2 - t;
  }
};
for (let i = 0; i < 500; i++) await round(false);
const cpu0 = process.cpuUsage();
const t0 = nowMs();
for (let i = 0; i < N; i++) await round(true);
const total = nowMs() - t0;
const cpu = process.cpuUsage(cpu0);

console.log(
  JSON.stringify({
    version: L.name,
    suite: suiteKey,
    provider: kind,
    N,
    msgUs: (total / N) * 1000,
    encUs: (encMs / N) * 1000,
    decUs: (decMs / N) * 1000,
    msgMedianUs: median(per) * 1000,
    encMedianUs: median(perEnc) * 1000,
    decMedianUs: median(perDec) * 1000,
    msgCpuUs: (cpu.user + cpu.system) / N,
    keyPackageMs: median(kpTimes),
    commitAddMs: median(commitTimes),
    welcomeMs: median(welcomeTimes),
  }),
);
