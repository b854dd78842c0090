// Compatibility 1.6.4 -> 2.0.0-rc.10, per suite:
//  A. stored state: a 1.6.4 encodeGroupState() blob (what Volly's encodeGroup stores after its version
//     byte) fed to 2.0's clientStateDecoder / groupStateDecoder.
//  B. wire: 2.0 decodes a 1.6.4 key package; a 2.0 group adds a 1.6.4 member; messages both ways.
//  C. X-Wing only: the same with a 2.0 CiphersuiteImpl whose id is 1.6.4's X-Wing code point (83).
//  D. a proof-of-concept converter (1.6.4 state object -> 2.0 state object): wire-format parts are
//     re-encoded with 1.6.4's encoders and decoded with 2.0's decoders; the secret tree is reshaped
//     (1.6.4: array of all nodes; 2.0: lazy {leafWidth, intermediateNodes, leafNodes}). Then 2.0-alice
//     (converted) and 1.6.4-bob exchange messages and 2.0-alice commits an Add that 1.6.4-bob processes.
// usage: node compat.mjs
import { internal, loadVersion, SUITES } from "./lib.mjs";

const V1 = await loadVersion("v1");
const V2 = await loadVersion("v2");
const m1 = V1.m,
  m2 = V2.m;
const { encode: enc1 } = await import("mls1/codec/tlsEncoder.js");
const p1 = {
  gc: (await import("mls1/groupContext.js")).groupContextEncoder,
  rt: (await import("mls1/ratchetTree.js")).ratchetTreeEncoder,
  ks: (await import("mls1/keySchedule.js")).keyScheduleEncoder,
  pp: (await import("mls1/privateKeyPath.js")).privateKeyPathEncoder,
  up: (await import("mls1/unappliedProposals.js")).unappliedProposalsEncoder,
  gas: (await import("mls1/groupActiveState.js")).groupActiveStateEncoder,
};
const p2 = {
  gc: (await internal("mls2", "groupContext.js")).groupContextDecoder,
  rt: (await internal("mls2", "ratchetTree.js")).ratchetTreeDecoder,
  ks: (await internal("mls2", "keySchedule.js")).keyScheduleDecoder,
  pp: (await internal("mls2", "privateKeyPath.js")).privateKeyPathDecoder,
  up: (await internal("mls2", "unappliedProposals.js")).unappliedProposalsDecoder,
  gas: (await internal("mls2", "groupActiveState.js")).groupActiveStateDecoder,
};
const short = (e) => `${e?.constructor?.name}: ${String(e?.message ?? e).slice(0, 100)}`;
const te = new TextEncoder(),
  td = new TextDecoder();
const viaWire = (k, v) => {
  const bytes = enc1(p1[k])(v);
  const d = p2[k](bytes, 0);
  if (!d || d[1] !== bytes.length) throw new Error(`part ${k} does not re-decode`);
  return d[0];
};
const convertSecretTree = (st1) => {
  const leafNodes = {};
  for (let i = 0; i < st1.length; i += 2) leafNodes[i] = st1[i];
  return { leafWidth: (st1.length + 1) / 2, intermediateNodes: {}, leafNodes };
};
function convertState(s1) {
  const hist = new Map();
  for (const [epoch, d] of s1.historicalReceiverData) {
    hist.set(epoch, {
      resumptionPsk: d.resumptionPsk,
      senderDataSecret: d.senderDataSecret,
      groupContext: viaWire("gc", d.groupContext),
      ratchetTree: viaWire("rt", d.ratchetTree),
      secretTree: convertSecretTree(d.secretTree),
    });
  }
  return {
    groupContext: viaWire("gc", s1.groupContext),
    ratchetTree: viaWire("rt", s1.ratchetTree),
    keySchedule: { ...s1.keySchedule } /* same fields, different stored encoding */,
    secretTree: convertSecretTree(s1.secretTree),
    privatePath: viaWire("pp", s1.privatePath),
    signaturePrivateKey: s1.signaturePrivateKey,
    unappliedProposals: viaWire("up", s1.unappliedProposals),
    confirmationTag: s1.confirmationTag,
    historicalReceiverData: hist,
    groupActiveState: viaWire("gas", s1.groupActiveState),
  };
}
async function step(label, f) {
  try {
    const r = await f();
    console.log(`  ${label}: OK${r ? ` (${r})` : ""}`);
    return true;
  } catch (e) {
    console.log(`  ${label}: FAILED ${short(e)}`);
    return false;
  }
}

for (const [key, suite] of Object.entries(SUITES)) {
  console.log(`\n== ${suite} (1.6.4 id ${m1.ciphersuites[suite]}, 2.0 id ${m2.ciphersuites[suite]})`);
  const i1 = await V1.impl(suite, "volly");
  // a 1.6.4 group alice + bob, a few messages, and one more epoch (so historicalReceiverData is non-empty)
  const a1 = await V1.keyPackage(i1, "acct:alice", await V1.sigKeys(i1));
  const b1 = await V1.keyPackage(i1, "acct:bob", await V1.sigKeys(i1));
  let alice1 = await V1.createGroup(i1, "g", a1);
  const c1 = await V1.commit(i1, alice1, [V1.addProposal(b1.publicPackage)]);
  alice1 = c1.newState;
  let bob1 = await V1.join(i1, c1.welcome, b1, V1.encodeTree(alice1));
  const c1b = await V1.commit(i1, alice1, []);
  alice1 = c1b.newState;
  bob1 = (await V1.process(i1, bob1, c1b.commitBytes)).newState;
  for (let i = 0; i < 3; i++) {
    const e = await V1.encrypt(i1, alice1, te.encode(`m${i}`));
    alice1 = e.newState;
    bob1 = (await V1.process(i1, bob1, e.bytes)).newState;
  }
  const blob = V1.encodeState(alice1);
  console.log("A. stored 1.6.4 state blob", blob.length, "bytes");
  await step("2.0 clientStateDecoder on the 1.6.4 blob", async () => {
    const d = m2.clientStateDecoder(blob, 0);
    if (!d) throw new Error("decoder returned undefined");
    if (d[1] !== blob.length) throw new Error(`decoded ${d[1]} of ${blob.length} bytes`);
    const e = await V2.encrypt(await V2.impl(suite, "volly"), d[0], te.encode("x"));
    return `decoded; encrypt gave ${e.bytes.length} bytes`;
  });
  await step("2.0 groupStateDecoder on the 1.6.4 blob", async () => {
    const d = m2.groupStateDecoder(blob, 0);
    if (!d || d[1] !== blob.length)
      throw new Error(d ? `decoded ${d[1]} of ${blob.length} bytes` : "undefined");
  });

  console.log("B. wire interop with 2.0's own suite implementation");
  const impls2 = [["2.0 default id", await V2.impl(suite, "volly")]];
  if (key === "xwing") {
    const x = await V2.impl(suite, "volly");
    impls2.push(["2.0 impl with id 83 (C)", { ...x, id: m1.ciphersuites[suite] }]);
  }
  for (const [label, i2] of impls2) {
    console.log(` [${label}]`);
    const bobKp = await V1.keyPackage(i1, "acct:bob2", await V1.sigKeys(i1));
    const kpBytes = V1.encodeKeyPackage(bobKp);
    let kp2;
    if (
      !(await step("2.0 decodes a 1.6.4 key package", async () => {
        kp2 = V2.decodeKeyPackage(kpBytes);
        return `cipherSuite=${kp2.cipherSuite}`;
      }))
    )
      continue;
    const aKp = await V2.keyPackage(i2, "acct:alice2", await V2.sigKeys(i2));
    let alice2, welcome, bob;
    if (
      !(await step("2.0 alice creates group + adds the 1.6.4 key package", async () => {
        alice2 = await V2.createGroup(i2, "mixed", aKp);
        const c = await V2.commit(i2, alice2, [V2.addProposal(kp2)]);
        alice2 = c.newState;
        welcome = c.welcome;
        return `group cipherSuite=${alice2.groupContext.cipherSuite}`;
      }))
    )
      continue;
    if (
      !(await step("1.6.4 bob joins from 2.0's Welcome", async () => {
        bob = await V1.join(i1, welcome, bobKp, V2.encodeTree(alice2));
      }))
    )
      continue;
    await step("2.0 alice -> 1.6.4 bob message", async () => {
      const e = await V2.encrypt(i2, alice2, te.encode("hi bob"));
      alice2 = e.newState;
      const d = await V1.process(i1, bob, e.bytes);
      bob = d.newState;
      return td.decode(d.plaintext);
    });
    await step("1.6.4 bob -> 2.0 alice message", async () => {
      const e = await V1.encrypt(i1, bob, te.encode("hi alice"));
      bob = e.newState;
      const d = await V2.process(i2, alice2, e.bytes);
      alice2 = d.newState;
      return td.decode(d.plaintext);
    });
  }

  console.log("D. converter: 1.6.4 state object -> 2.0 state (proof of concept)");
  const i2 =
    key === "xwing"
      ? { ...(await V2.impl(suite, "volly")), id: m1.ciphersuites[suite] }
      : await V2.impl(suite, "volly");
  let conv;
  if (
    !(await step("convert alice's 1.6.4 state", async () => {
      conv = convertState(V1.decodeState(blob));
      return `groupContext.cipherSuite=${conv.groupContext.cipherSuite}`;
    }))
  )
    continue;
  await step("2.0 encodes + decodes the converted state", async () => {
    const b = V2.encodeState(conv);
    const d = V2.decodeState(b);
    return `${b.length} bytes, epoch ${d.groupContext.epoch}`;
  });
  await step("converted 2.0 alice -> 1.6.4 bob message", async () => {
    const e = await V2.encrypt(i2, conv, te.encode("after migration"));
    conv = e.newState;
    const d = await V1.process(i1, bob1, e.bytes);
    bob1 = d.newState;
    return td.decode(d.plaintext);
  });
  await step("1.6.4 bob -> converted 2.0 alice message", async () => {
    const e = await V1.encrypt(i1, bob1, te.encode("reply"));
    bob1 = e.newState;
    const d = await V2.process(i2, conv, e.bytes);
    conv = d.newState;
    return td.decode(d.plaintext);
  });
  await step("converted 2.0 alice commits an Add, 1.6.4 bob processes it", async () => {
    const ck = await V1.keyPackage(i1, "acct:carol", await V1.sigKeys(i1));
    const c = await V2.commit(i2, conv, [V2.addProposal(V2.decodeKeyPackage(V1.encodeKeyPackage(ck)))]);
    conv = c.newState;
    const d = await V1.process(i1, bob1, c.commitBytes);
    bob1 = d.newState;
    return `epoch ${V1.epoch(bob1)}, members ${V1.members(bob1)}`;
  });
}
