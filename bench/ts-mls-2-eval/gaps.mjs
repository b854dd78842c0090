// Known-gap checks from Volly's docs/threat-model.md ("The MLS library"), for both versions:
//  (a) SelfRemove proposal: is it a proposal type the library knows?
//  (b) upstream #742: a commit carrying a GroupContextExtensions (GCE) proposal *and* Remove(s).
//      Group of 4 (alice creates, adds bob, charlie, dave in one commit, all join from the Welcome);
//      alice commits; bob processes; then alice -> bob application message as a sanity check.
//      GCE variants: "reqcaps" (required_capabilities with empty lists) and "custom" (extension
//      type 0xff00, advertised in every member's capabilities). PublicMessage (what Volly sends)
//      and PrivateMessage. For each commit we also report whether it carries an UpdatePath.
//  (c) for a commit without UpdatePath that removes charlie: can charlie (removed) derive the new
//      epoch? commit_secret is then 0 and charlie knows the old init_secret; the new GroupContext is
//      computable from public data (old tree + the PublicMessage commit) - we take bob's copy of it.
// usage: node gaps.mjs [x25519|xwing]
import { internal, loadVersion, SUITES } from "./lib.mjs";

const suite = SUITES[process.argv[2] ?? "x25519"];
const short = (e) => `${e?.constructor?.name}: ${String(e?.message ?? e).slice(0, 90)}`;
const eq = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

async function fourMemberGroup(L, impl) {
  const mk = async (name) => L.keyPackage(impl, `acct:${name}`, await L.sigKeys(impl), [0xff00]);
  const kps = [await mk("alice"), await mk("bob"), await mk("charlie"), await mk("dave")];
  const alice0 = await L.createGroup(impl, "gap-group", kps[0]);
  const add = await L.commit(
    impl,
    alice0,
    kps.slice(1).map((k) => L.addProposal(k.publicPackage)),
  );
  const tree = L.encodeTree(add.newState);
  const [bob, charlie] = [
    await L.join(impl, add.welcome, kps[1], tree),
    await L.join(impl, add.welcome, kps[2], tree),
  ];
  return { alice: add.newState, bob, charlie };
}

for (const v of ["v1", "v2"]) {
  const L = await loadVersion(v);
  const ks = v === "v1" ? await import("mls1/keySchedule.js") : await internal("mls2", "keySchedule.js");
  const impl = await L.impl(suite, "volly");
  const names = L.proposalTypeNames();
  console.log(`\n== ts-mls ${L.name} (${suite})`);
  console.log(
    `(a) default proposal types: ${names.join(", ")} -> SelfRemove known: ${names.some((n) => /self.?remove/i.test(n))}`,
  );
  const cases = [
    ["GCE(reqcaps) + Remove(charlie)", (L) => [L.gceProposal("reqcaps"), L.removeProposal(2)]],
    ["GCE(custom) + Remove(charlie)", (L) => [L.gceProposal("custom"), L.removeProposal(2)]],
    ["Remove(charlie) + GCE(custom)", (L) => [L.removeProposal(2), L.gceProposal("custom")]],
    [
      "GCE(custom) + Remove(charlie) + Remove(dave)",
      (L) => [L.gceProposal("custom"), L.removeProposal(2), L.removeProposal(3)],
    ],
    ["GCE(custom) alone", (L) => [L.gceProposal("custom")]],
    ["Remove(charlie) alone", (L) => [L.removeProposal(2)]],
    ["Remove(charlie) + Remove(dave)", (L) => [L.removeProposal(2), L.removeProposal(3)]],
  ];
  for (const publicMessage of [true, false]) {
    for (const [label, proposals] of cases) {
      const g = await fourMemberGroup(L, impl);
      let line = `(b) ${publicMessage ? "public " : "private"} ${label.padEnd(44)}: `;
      let commit;
      try {
        commit = await L.commit(impl, g.alice, proposals(L), { publicMessage });
      } catch (e) {
        console.log(`${line}createCommit FAILED ${short(e)}`);
        continue;
      }
      if (publicMessage) {
        const path = L.decodeMessage(commit.commitBytes).publicMessage.content.commit.path;
        line += `UpdatePath ${path ? "yes" : "NO "}; `;
      }
      let bobState;
      try {
        const r = await L.process(impl, g.bob, commit.commitBytes);
        bobState = r.newState;
        const e = await L.encrypt(impl, commit.newState, new TextEncoder().encode("after"));
        const d = await L.process(impl, r.newState, e.bytes);
        line += `bob OK (members ${L.members(r.newState)}, ext [${L.extensions(r.newState)}])${d.kind === "applicationMessage" ? ", alice->bob msg OK" : ", msg FAILED"}`;
      } catch (e) {
        line += `bob FAILED ${short(e)}`;
      }
      // (c) removed member charlie deriving the new epoch from a path-less commit
      if (bobState && label.includes("Remove(charlie)")) {
        const zeros = new Uint8Array(impl.kdf.size);
        const derived = await ks.initializeEpoch(
          g.charlie.keySchedule.initSecret,
          zeros,
          bobState.groupContext,
          zeros,
          impl.kdf,
        );
        const leak = eq([...derived.keySchedule.exporterSecret], [...bobState.keySchedule.exporterSecret]);
        line += leak ? "; REMOVED charlie CAN derive new epoch secrets" : "; charlie cannot derive new epoch";
      }
      console.log(line);
    }
  }
}
