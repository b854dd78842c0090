import { toBase64Url, utf8, VollyError } from "@volly/protocol";
import { createCommit, decodeMlsMessage, encodeMlsMessage, type MLSMessage } from "ts-mls";
import { createGroupInfo } from "ts-mls/createCommit.js";
import { beforeAll, describe, expect, it } from "vitest";
import {
  addMembers,
  type CommitEpochContext,
  createGroup,
  type DeviceIdentity,
  encryptApplication,
  type GeneratedKeyPackage,
  generateIdentity,
  generateKeyPackage,
  groupEpoch,
  groupMembers,
  inspectCommit,
  inspectGroupInfo,
  joinFromWelcome,
  loadSuite,
  type MlsGroup,
  type MlsSuite,
  processMessage,
  publicGroupState,
  rejoinExternally,
  removeMembers,
} from "../src/index.js";
import { peekState, suiteImpl } from "../src/mls-internal.js";

const GROUP = "g-inspect";

interface Device {
  identity: DeviceIdentity;
  credential: { accountId: string; deviceId: string };
  kp: GeneratedKeyPackage;
}

async function device(suite: MlsSuite, accountId: string, deviceId: string): Promise<Device> {
  const identity = generateIdentity();
  const credential = { accountId, deviceId };
  return { identity, credential, kp: await generateKeyPackage(suite, identity, credential) };
}

/**
 * What the delivery service keeps: per epoch, copies of the GroupInfo and ratchet tree bytes it was
 * sent (by the creator for epoch 0, by each epoch's committer after). No member state.
 */
class StoredEpochs {
  private readonly epochs = new Map<number, CommitEpochContext>();

  async keep(suite: MlsSuite, group: MlsGroup): Promise<void> {
    const state = await publicGroupState(suite, group);
    this.epochs.set(state.epoch, {
      groupId: state.groupId,
      epoch: state.epoch,
      groupInfo: state.groupInfo.slice(),
      ratchetTree: state.ratchetTree.slice(),
    });
  }

  at(epoch: number): CommitEpochContext {
    const context = this.epochs.get(epoch);
    if (context === undefined) throw new Error(`nothing stored for epoch ${epoch}`);
    return context;
  }
}

/** The code and cause of a rejection, or "accepted". */
async function outcome(promise: Promise<unknown>): Promise<{ code: string; cause: unknown } | "accepted"> {
  try {
    await promise;
    return "accepted";
  } catch (err) {
    if (!(err instanceof VollyError)) throw err;
    return { code: err.code, cause: err.details?.cause };
  }
}

const badRequest = (cause: string) => ({ code: "VOLLY_E_BAD_REQUEST", cause });

function decodePublic(bytes: Uint8Array) {
  const message = decodeMlsMessage(bytes, 0)?.[0];
  if (message?.wireformat !== "mls_public_message") throw new Error("expected a public message");
  return message;
}

/** Flips the first byte of `needle` where it occurs in `bytes` (e.g. a signature inside a message). */
function flipWithin(bytes: Uint8Array, needle: Uint8Array): Uint8Array {
  const out = bytes.slice();
  for (let i = 0; i + needle.length <= out.length; i++) {
    if (needle.every((b, j) => out[i + j] === b)) {
      out[i]! ^= 0x01;
      return out;
    }
  }
  throw new Error("needle not found");
}

describe("inspectCommit: the delivery service verifies public commits from stored public state (RFC 9420 §6.2, §12.4)", () => {
  let suite: MlsSuite;
  let alice: Device;
  let bob: Device;
  let carol: Device;
  const stored = new StoredEpochs();
  /** epoch 0: alice alone; epoch 1: + bob; epoch 2: + carol. */
  let created: MlsGroup;
  let addBob: Awaited<ReturnType<typeof addMembers>>;
  let addCarol: Awaited<ReturnType<typeof addMembers>>;
  let bobAt1: MlsGroup;

  beforeAll(async () => {
    suite = await loadSuite();
    alice = await device(suite, "acct-alice", "dev-a1");
    bob = await device(suite, "acct-bob", "dev-b1");
    carol = await device(suite, "acct-carol", "dev-c1");
    created = await createGroup(suite, GROUP, alice.kp);
    await stored.keep(suite, created);
    addBob = await addMembers(suite, created, [bob.kp.keyPackage]);
    await stored.keep(suite, addBob.newGroup);
    bobAt1 = await joinFromWelcome(suite, addBob.welcome, addBob.ratchetTree, bob.kp);
    addCarol = await addMembers(suite, addBob.newGroup, [carol.kp.keyPackage]);
    await stored.keep(suite, addCarol.newGroup);
  });

  it("epoch 0: the creator's GroupInfo and tree verify: one member, the creator, signed by it", async () => {
    const epoch0 = stored.at(0);
    const info = await inspectGroupInfo(suite, epoch0.groupInfo, epoch0.ratchetTree, {
      groupId: GROUP,
      epoch: 0,
    });
    const aliceMember = {
      leafIndex: 0,
      credential: alice.credential,
      signaturePublicKey: toBase64Url(alice.identity.signaturePublicKey),
    };
    expect(info).toEqual({ groupId: GROUP, epoch: 0, signer: aliceMember, members: [aliceMember] });
  });

  it("an Add commit verifies and names its committer and the added device; members process it", async () => {
    const inspection = await inspectCommit(suite, addCarol.commit, stored.at(1));
    expect(inspection).toEqual({
      groupId: GROUP,
      epoch: 1,
      external: false,
      sender: {
        leafIndex: 0,
        credential: alice.credential,
        signaturePublicKey: toBase64Url(alice.identity.signaturePublicKey),
      },
      added: [
        {
          credential: carol.credential,
          signaturePublicKey: toBase64Url(carol.identity.signaturePublicKey),
          keyPackageRef: carol.kp.ref,
        },
      ],
      removed: [],
      proposalRefs: [],
      otherProposals: [],
      hasUpdatePath: false,
    });
    // The GroupInfo the committer attaches for the new epoch is signed by the committer's leaf.
    const next = stored.at(2);
    const info = await inspectGroupInfo(suite, next.groupInfo, next.ratchetTree, {
      groupId: GROUP,
      epoch: 2,
    });
    expect(info.signer.leafIndex).toBe(inspection.sender.leafIndex);
    expect(info.members.map((m) => m.credential.deviceId)).toEqual(["dev-a1", "dev-b1", "dev-c1"]);
    // And a member processes the same public commit.
    const processed = await processMessage(suite, bobAt1, addCarol.commit);
    expect(processed).toMatchObject({ kind: "commit", sender: alice.credential });
    expect(groupMembers(processed.newGroup)).toEqual(groupMembers(addCarol.newGroup));
  });

  it("a Remove commit names the removed devices (leaf indices mapped through the stored tree) and has an UpdatePath", async () => {
    const removal = await removeMembers(suite, addCarol.newGroup, ["dev-b1"]);
    const inspection = await inspectCommit(suite, removal.commit, stored.at(2));
    expect(inspection.sender.credential).toEqual(alice.credential);
    expect(inspection.removed).toEqual([
      {
        leafIndex: 1,
        credential: bob.credential,
        signaturePublicKey: toBase64Url(bob.identity.signaturePublicKey),
      },
    ]);
    expect(inspection.added).toEqual([]);
    expect(inspection.hasUpdatePath).toBe(true);
    const next = await publicGroupState(suite, removal.newGroup);
    const info = await inspectGroupInfo(suite, next.groupInfo, next.ratchetTree, {
      groupId: GROUP,
      epoch: 3,
    });
    expect(info.members.map((m) => m.credential.deviceId)).toEqual(["dev-a1", "dev-c1"]);
  });

  it("an external commit (resync, §12.4.3.2) names the rejoining device, the leaf it replaces and the leaf it takes", async () => {
    const epoch2 = stored.at(2);
    const rejoin = await rejoinExternally(
      suite,
      epoch2.groupInfo,
      epoch2.ratchetTree,
      bob.identity,
      bob.credential,
    );
    const inspection = await inspectCommit(suite, rejoin.commit, epoch2);
    expect(inspection).toMatchObject({
      external: true,
      epoch: 2,
      sender: {
        leafIndex: 1,
        credential: bob.credential,
        signaturePublicKey: toBase64Url(bob.identity.signaturePublicKey),
      },
      removed: [{ leafIndex: 1, credential: bob.credential }],
      added: [],
      otherProposals: ["external_init"],
      hasUpdatePath: true,
    });
    const next = await publicGroupState(suite, rejoin.newGroup);
    const info = await inspectGroupInfo(suite, next.groupInfo, next.ratchetTree, {
      groupId: GROUP,
      epoch: 3,
    });
    expect(info.signer).toEqual(inspection.sender);
    const processed = await processMessage(suite, addCarol.newGroup, rejoin.commit);
    expect(groupEpoch(processed.newGroup)).toBe(3);
  });

  it("refuses tampered, foreign, non-public and malformed commits, each with its cause", async () => {
    const context = stored.at(1);
    const commit = addCarol.commit;
    const decoded = decodePublic(commit);
    const reencode = (change: (m: typeof decoded) => MLSMessage) =>
      encodeMlsMessage(change(structuredClone(decoded)));

    // A signature byte flipped in place.
    expect(
      await outcome(inspectCommit(suite, flipWithin(commit, decoded.publicMessage.auth.signature), context)),
    ).toEqual(badRequest("bad-signature"));
    // Another epoch: a later one is a bad request; an earlier one (a real stale commit) is VOLLY_E_STALE_EPOCH.
    const future = reencode((m) => {
      m.publicMessage.content.epoch += 1n;
      return m;
    });
    expect(await outcome(inspectCommit(suite, future, context))).toEqual(badRequest("wrong-epoch"));
    const staleError = (await inspectCommit(suite, addBob.commit, context).then(
      () => undefined,
      (e: unknown) => e,
    )) as VollyError;
    expect(staleError).toBeInstanceOf(VollyError);
    expect(staleError.code).toBe("VOLLY_E_STALE_EPOCH");
    expect(staleError.details).toMatchObject({ cause: "wrong-epoch", currentEpoch: 1, messageEpoch: 0 });
    // Another group id.
    const otherGroup = reencode((m) => {
      m.publicMessage.content.groupId = utf8("g-other");
      return m;
    });
    expect(await outcome(inspectCommit(suite, otherGroup, context))).toEqual(badRequest("wrong-group"));
    // A sender leaf that is not in the tree.
    const noSuchLeaf = reencode((m) => {
      m.publicMessage.content.sender = { senderType: "member", leafIndex: 9 };
      return m;
    });
    expect(await outcome(inspectCommit(suite, noSuchLeaf, context))).toEqual(badRequest("unknown-sender"));
    // Signed by a key that is not the sender leaf's: mallory's own group under the same id, same epoch.
    const mallory = await device(suite, "acct-mallory", "dev-m1");
    const forged0 = await createGroup(suite, GROUP, mallory.kp);
    const forged1 = await addMembers(suite, forged0, [
      (await device(suite, "acct-x", "dev-x1")).kp.keyPackage,
    ]);
    const forged = await addMembers(suite, forged1.newGroup, [
      (await device(suite, "acct-y", "dev-y1")).kp.keyPackage,
    ]);
    expect(forged.epoch).toBe(1);
    expect(await outcome(inspectCommit(suite, forged.commit, context))).toEqual(badRequest("bad-signature"));
    // A commit sent as a PrivateMessage (as earlier versions did).
    const dave = await device(suite, "acct-dave", "dev-d1");
    const daveKp = decodeMlsMessage(dave.kp.keyPackage, 0)?.[0];
    if (daveKp?.wireformat !== "mls_key_package") throw new Error("bad key package");
    const privateCommit = await createCommit(
      { state: peekState(addBob.newGroup), cipherSuite: suiteImpl(suite) },
      {
        wireAsPublicMessage: false,
        extraProposals: [{ proposalType: "add", add: { keyPackage: daveKp.keyPackage } }],
      },
    );
    expect(await outcome(inspectCommit(suite, encodeMlsMessage(privateCommit.commit), context))).toEqual(
      badRequest("not-public-message"),
    );
    // An application message, a Welcome, a key package.
    const application = await encryptApplication(suite, created, utf8("hello"));
    for (const other of [application.ciphertext, addCarol.welcome, dave.kp.keyPackage]) {
      expect(await outcome(inspectCommit(suite, other, context))).toEqual(badRequest("not-public-message"));
    }
    // Garbage, truncations, trailing bytes, nothing.
    let seed = 42;
    const garbage = Uint8Array.from({ length: 600 }, () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed & 0xff;
    });
    for (const bad of [
      garbage,
      commit.subarray(0, commit.length - 1),
      commit.subarray(0, commit.length >> 1),
      commit.subarray(0, 10),
      Uint8Array.of(...commit, 0),
      new Uint8Array(0),
    ]) {
      expect(await outcome(inspectCommit(suite, bad, context))).toEqual(badRequest("malformed"));
    }
    // The genuine commit still verifies.
    expect(await outcome(inspectCommit(suite, commit, context))).toBe("accepted");
  });

  it("stored state that does not match the context is the delivery service's fault: a plain Error, not a rejection", async () => {
    const epoch1 = stored.at(1);
    const epoch2 = stored.at(2);
    await expect(
      inspectCommit(suite, addCarol.commit, { ...epoch1, groupInfo: epoch2.groupInfo }),
    ).rejects.toThrow(/epoch 2, not 1/);
    await expect(inspectCommit(suite, addCarol.commit, { ...epoch1, groupId: "g-other" })).rejects.toThrow(
      /another group/,
    );
    const corrupt = inspectCommit(suite, addCarol.commit, {
      ...epoch1,
      ratchetTree: epoch1.ratchetTree.subarray(1),
    });
    await expect(corrupt).rejects.toThrow(/stored ratchet tree is corrupt/);
    await expect(corrupt).rejects.not.toBeInstanceOf(VollyError);
  });

  it("inspectGroupInfo refuses a GroupInfo of another group or epoch, a bad signature, no external_pub, a bad tree", async () => {
    const { groupInfo, ratchetTree } = stored.at(2);
    const expected = { groupId: GROUP, epoch: 2 };
    const check = (gi: Uint8Array, tree: Uint8Array, exp = expected, verifyTreeHash = false) =>
      outcome(inspectGroupInfo(suite, gi, tree, exp, { verifyTreeHash }));
    expect(await check(groupInfo, ratchetTree, expected, true)).toBe("accepted");
    expect(await check(groupInfo, ratchetTree, { groupId: GROUP, epoch: 3 })).toEqual(
      badRequest("wrong-epoch"),
    );
    expect(await check(groupInfo, ratchetTree, { groupId: "g-other", epoch: 2 })).toEqual(
      badRequest("wrong-group"),
    );
    const gi = decodeMlsMessage(groupInfo, 0)?.[0];
    if (gi?.wireformat !== "mls_group_info") throw new Error("expected a GroupInfo");
    expect(await check(flipWithin(groupInfo, gi.groupInfo.signature), ratchetTree)).toEqual(
      badRequest("bad-signature"),
    );
    expect(await check(utf8("garbage"), ratchetTree)).toEqual(badRequest("malformed"));
    expect(await check(addCarol.commit, ratchetTree)).toEqual(badRequest("malformed"));
    expect(await check(groupInfo, utf8("garbage"))).toEqual(badRequest("malformed"));
    // Without external_pub a device could not rejoin from it.
    const state = peekState(addCarol.newGroup);
    const plain = await createGroupInfo(
      state.groupContext,
      state.confirmationTag,
      state,
      [],
      suiteImpl(suite),
    );
    const withoutExternalPub = encodeMlsMessage({
      version: "mls10",
      wireformat: "mls_group_info",
      groupInfo: plain,
    });
    expect(await check(withoutExternalPub, ratchetTree)).toEqual(badRequest("malformed"));
    // The previous epoch's tree: alice's leaf (the signer) is the same, so only the tree hash tells.
    const olderTree = stored.at(1).ratchetTree;
    expect(await check(groupInfo, olderTree)).toBe("accepted");
    expect(await check(groupInfo, olderTree, expected, true)).toEqual(badRequest("malformed"));
    // A GroupInfo signed by carol (leaf 2) with a tree where leaf 2 is blank.
    const carolGroup = await joinFromWelcome(suite, addCarol.welcome, addCarol.ratchetTree, carol.kp);
    const byCarol = await publicGroupState(suite, carolGroup);
    expect(await check(byCarol.groupInfo, byCarol.ratchetTree)).toBe("accepted");
    expect(await check(byCarol.groupInfo, olderTree)).toEqual(badRequest("unknown-sender"));
  });
});
