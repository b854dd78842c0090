import { loadVersion, SUITES } from "./lib.mjs";

for (const v of ["v1", "v2"])
  for (const s of Object.values(SUITES))
    for (const kind of ["default", "volly"]) {
      const L = await loadVersion(v);
      const impl = await L.impl(s, kind);
      const a = await L.keyPackage(impl, "acct:alice", await L.sigKeys(impl));
      const b = await L.keyPackage(impl, "acct:bob", await L.sigKeys(impl));
      let alice = await L.createGroup(impl, "g1", a);
      const c = await L.commit(impl, alice, [L.addProposal(L.decodeKeyPackage(L.encodeKeyPackage(b)))]);
      alice = c.newState;
      const bob = await L.join(impl, c.welcome, b, L.encodeTree(alice));
      const e = await L.encrypt(impl, alice, new Uint8Array(1024).fill(7));
      const d = await L.process(impl, bob, e.bytes);
      console.log(
        v,
        s,
        kind,
        d.kind,
        d.plaintext.length,
        e.bytes.length,
        "tree",
        L.encodeTree(alice).length,
        "kp",
        L.encodeKeyPackage(b).length,
      );
    }
