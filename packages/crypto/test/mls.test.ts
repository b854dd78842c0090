import { fromBase64Url, fromUtf8, toBase64Url, utf8, VollyError } from "@volly/protocol";
import { createCommit, decodeMlsMessage, encodeMlsMessage } from "ts-mls";
import { beforeAll, describe, expect, it } from "vitest";
import {
  addMembers,
  type CredentialIdentity,
  createGroup,
  credentialIdentityFromBytes,
  credentialIdentityToBytes,
  DEFAULT_CIPHERSUITE,
  type DeviceIdentity,
  decodeGroup,
  encodeGroup,
  encryptApplication,
  type GeneratedKeyPackage,
  generateIdentity,
  generateKeyPackage,
  groupEpoch,
  groupIdOf,
  groupMembers,
  inspectKeyPackage,
  joinFromWelcome,
  loadSuite,
  type MlsGroup,
  type MlsSuite,
  processMessage,
  welcomeKeyPackageRefs,
} from "../src/index.js";
import { peekState, suiteImpl } from "../src/mls-internal.js";

const XWING = "MLS_256_XWING_AES256GCM_SHA512_Ed25519";
const CLASSIC = "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519";

interface Device {
  identity: DeviceIdentity;
  credential: CredentialIdentity;
  kp: GeneratedKeyPackage;
}

async function device(suite: MlsSuite, accountId: string, deviceId: string): Promise<Device> {
  const identity = generateIdentity();
  const credential = { accountId, deviceId };
  return { identity, credential, kp: await generateKeyPackage(suite, identity, credential) };
}

/** alice creates "group-1" and adds bob through the directory flow. */
async function twoMembers(suite: MlsSuite) {
  const alice = await device(suite, "acct-alice", "dev-a1");
  const bob = await device(suite, "acct-bob", "dev-b1");
  const created = await createGroup(suite, "group-1", alice.kp);
  const add = await addMembers(suite, created, [bob.kp.keyPackage]);
  const bobGroup = await joinFromWelcome(suite, add.welcome, add.ratchetTree, bob.kp);
  return { alice, bob, aliceGroup: add.newGroup, bobGroup };
}

/** Encrypts `text` with `from` and processes it with `to`; returns both new states and the result. */
async function send(suite: MlsSuite, from: MlsGroup, to: MlsGroup, text: string) {
  const { newGroup: fromNext, ciphertext } = await encryptApplication(suite, from, utf8(text));
  const result = await processMessage(suite, to, ciphertext);
  if (result.kind !== "application") throw new Error("expected an application message");
  return {
    from: fromNext,
    to: result.newGroup,
    plaintext: fromUtf8(result.plaintext),
    sender: result.sender,
  };
}

/** The DecryptFailureCause of a VOLLY_E_DECRYPT_FAILED rejection. */
async function causeOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(VollyError);
    expect((err as VollyError).code).toBe("VOLLY_E_DECRYPT_FAILED");
    return (err as VollyError).details?.cause;
  }
  throw new Error("expected VOLLY_E_DECRYPT_FAILED");
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (err) {
    return err instanceof VollyError ? err.code : `not a VollyError: ${String(err)}`;
  }
  return undefined;
}

describe("credential identity (RFC 9420 §5.3 basic credential)", () => {
  it("encodes accountId:deviceId and parses it back", () => {
    const bytes = credentialIdentityToBytes({ accountId: "AbC_123-xyzXYZ0123456a", deviceId: "dev1" });
    expect(fromUtf8(bytes)).toBe("AbC_123-xyzXYZ0123456a:dev1");
    expect(credentialIdentityFromBytes(bytes)).toEqual({
      accountId: "AbC_123-xyzXYZ0123456a",
      deviceId: "dev1",
    });
    expect(credentialIdentityFromBytes(utf8("no-colon"))).toBeUndefined();
    expect(credentialIdentityFromBytes(utf8("a:b:c"))).toBeUndefined();
    expect(credentialIdentityFromBytes(utf8(":b"))).toBeUndefined();
    expect(() => credentialIdentityToBytes({ accountId: "a:b", deviceId: "c" })).toThrow(TypeError);
  });
});

describe("MLS with the X-Wing suite (RFC 9420)", () => {
  let suite: MlsSuite;
  beforeAll(async () => {
    suite = await loadSuite();
  });

  it("loads the configured suite once and rejects unknown or non-Ed25519 suites", async () => {
    expect(DEFAULT_CIPHERSUITE).toBe(XWING);
    expect(suite.name).toBe(XWING);
    expect(await loadSuite(XWING)).toBe(suite);
    await expect(loadSuite("MLS_NOPE")).rejects.toThrow(/Unknown/);
    await expect(loadSuite("MLS_128_DHKEMP256_AES128GCM_SHA256_P256")).rejects.toThrow(/Ed25519/);
  });

  it("a key package verifies and names its ref, suite, signature key and credential (§10)", async () => {
    const bob = await device(suite, "acct-bob", "dev-b1");
    const info = await inspectKeyPackage(suite, bob.kp.keyPackage);
    expect(info).toEqual({
      ref: bob.kp.ref,
      ciphersuite: XWING,
      signaturePublicKey: toBase64Url(bob.identity.signaturePublicKey),
      credential: bob.credential,
    });
    expect(fromBase64Url(info.ref)).toHaveLength(64); // RefHash with SHA-512
  });

  it("inspectKeyPackage rejects tampered, truncated, padded, foreign-suite and non-key-package bytes", async () => {
    const bob = await device(suite, "acct-bob", "dev-b1");
    const bytes = bob.kp.keyPackage;
    const flipSignature = bytes.slice();
    flipSignature[bytes.length - 5]! ^= 1;
    const flipInitKey = bytes.slice();
    flipInitKey[20]! ^= 1;
    const classic = await loadSuite(CLASSIC);
    const classicKp = (await device(classic, "acct-bob", "dev-b2")).kp.keyPackage;
    const alice = await device(suite, "acct-alice", "dev-a1");
    const { welcome } = await addMembers(suite, await createGroup(suite, "g", alice.kp), [bytes]);
    const bad = [
      flipSignature,
      flipInitKey,
      bytes.subarray(0, bytes.length - 1),
      Uint8Array.of(...bytes, 0),
      classicKp,
      welcome,
      new Uint8Array(0),
      utf8("garbage"),
    ];
    for (const candidate of bad) {
      expect(await codeOf(inspectKeyPackage(suite, candidate))).toBe("VOLLY_E_KEY_PACKAGE_INVALID");
    }
  });

  it("alice creates a group and adds bob: welcome refs, join with the out-of-band tree, same epoch and members", async () => {
    const alice = await device(suite, "acct-alice", "dev-a1");
    const bob = await device(suite, "acct-bob", "dev-b1");
    const created = await createGroup(suite, "group-1", alice.kp);
    expect(groupEpoch(created)).toBe(0);
    expect(groupIdOf(created)).toBe("group-1");
    expect(groupMembers(created)).toEqual([
      {
        leafIndex: 0,
        credential: alice.credential,
        signaturePublicKey: toBase64Url(alice.identity.signaturePublicKey),
      },
    ]);

    const claimed = (await inspectKeyPackage(suite, bob.kp.keyPackage)).ref;
    const add = await addMembers(suite, created, [bob.kp.keyPackage]);
    expect(add.epoch).toBe(0);
    expect(groupEpoch(created)).toBe(0); // addMembers does not mutate its input
    expect(groupEpoch(add.newGroup)).toBe(1);
    expect(welcomeKeyPackageRefs(add.welcome)).toEqual([claimed]);

    const bobGroup = await joinFromWelcome(suite, add.welcome, add.ratchetTree, bob.kp);
    expect(groupEpoch(bobGroup)).toBe(1);
    expect(groupIdOf(bobGroup)).toBe("group-1");
    const members = groupMembers(bobGroup);
    expect(members).toEqual(groupMembers(add.newGroup));
    expect(members.map((m) => m.credential)).toEqual([alice.credential, bob.credential]);
    expect(members[1]!.signaturePublicKey).toBe(toBase64Url(bob.identity.signaturePublicKey));
  });

  it("joinFromWelcome refuses a Welcome meant for another key package or a tree that does not match", async () => {
    const alice = await device(suite, "acct-alice", "dev-a1");
    const bob = await device(suite, "acct-bob", "dev-b1");
    const bob2 = await generateKeyPackage(suite, bob.identity, bob.credential);
    const add = await addMembers(suite, await createGroup(suite, "g", alice.kp), [bob.kp.keyPackage]);
    expect(await causeOf(joinFromWelcome(suite, add.welcome, add.ratchetTree, bob2))).toBe("other");
    expect(await causeOf(joinFromWelcome(suite, add.welcome, utf8("nope"), bob.kp))).toBe("malformed");
    expect(await causeOf(joinFromWelcome(suite, utf8("nope"), add.ratchetTree, bob.kp))).toBe("malformed");
    const otherTree = (await addMembers(suite, await createGroup(suite, "g", alice.kp), [bob2.keyPackage]))
      .ratchetTree;
    await expect(joinFromWelcome(suite, add.welcome, otherTree, bob.kp)).rejects.toBeInstanceOf(VollyError);
  });

  it("application messages flow both ways and carry the sender's credential identity", async () => {
    const t = await twoMembers(suite);
    let a = t.aliceGroup;
    let b = t.bobGroup;
    const one = await send(suite, a, b, "hello bob");
    expect(one.plaintext).toBe("hello bob");
    expect(one.sender).toEqual(t.alice.credential);
    const two = await send(suite, one.to, one.from, "hi alice");
    expect(two.plaintext).toBe("hi alice");
    expect(two.sender).toEqual(t.bob.credential);
    a = two.to;
    b = two.from;
    for (let i = 0; i < 3; i++) {
      const r = await send(suite, a, b, `burst ${i}`);
      expect(r.plaintext).toBe(`burst ${i}`);
      a = r.from;
      b = r.to;
    }
    expect(groupEpoch(a)).toBe(1);
  });

  it("40 messages overtaken by a later one from their sender (a call signal relayed at once) all still decrypt", async () => {
    const t = await twoMembers(suite);
    let alice = t.aliceGroup;
    const stored: Uint8Array[] = [];
    for (let i = 0; i < 40; i++) {
      const message = await encryptApplication(suite, alice, utf8(`message ${i}`));
      alice = message.newGroup;
      stored.push(message.ciphertext);
    }
    const signal = await encryptApplication(suite, alice, utf8("call.ring"));
    // The signal first: bob's ratchet skips 40 generations, whose keys must be kept. ts-mls's
    // default keeps 10 skipped generations; Volly keeps 128 (mls-internal.ts clientConfig).
    let bob = (await processMessage(suite, t.bobGroup, signal.ciphertext)).newGroup;
    for (const [i, ciphertext] of stored.entries()) {
      const late = await processMessage(suite, bob, ciphertext);
      expect(late.kind === "application" && fromUtf8(late.plaintext)).toBe(`message ${i}`);
      bob = late.newGroup;
    }
  });

  it("a group state encoded and decoded mid-conversation keeps working on both sides", async () => {
    const t = await twoMembers(suite);
    const first = await send(suite, t.aliceGroup, t.bobGroup, "before save");
    const aliceRestored = decodeGroup(encodeGroup(first.from));
    const bobRestored = decodeGroup(encodeGroup(first.to));
    expect(groupEpoch(aliceRestored)).toBe(1);
    expect(groupIdOf(bobRestored)).toBe("group-1");
    expect(groupMembers(bobRestored)).toEqual(groupMembers(first.to));
    const second = await send(suite, aliceRestored, bobRestored, "after restore");
    expect(second.plaintext).toBe("after restore");
    const third = await send(suite, second.to, second.from, "reply after restore");
    expect(third.plaintext).toBe("reply after restore");
    expect(third.sender).toEqual(t.bob.credential);
    // Commits still work from restored states too.
    const carol = await device(suite, "acct-carol", "dev-c1");
    const add = await addMembers(suite, decodeGroup(encodeGroup(third.to)), [carol.kp.keyPackage]);
    const bobAfter = await processMessage(suite, decodeGroup(encodeGroup(third.from)), add.commit);
    expect(bobAfter.kind).toBe("commit");
    expect(groupEpoch(bobAfter.newGroup)).toBe(2);
  });

  it("decodeGroup rejects corrupt bytes with cause malformed", async () => {
    const t = await twoMembers(suite);
    const bytes = encodeGroup(t.bobGroup);
    expect(() => decodeGroup(bytes.subarray(0, bytes.length - 3))).toThrow(VollyError);
    expect(() => decodeGroup(Uint8Array.of(9, ...bytes.subarray(1)))).toThrow(VollyError);
    expect(() => decodeGroup(new Uint8Array(0))).toThrow(VollyError);
  });

  it("a third member added by commit: bob processes it, all three agree on the epoch and talk", async () => {
    const t = await twoMembers(suite);
    const carol = await device(suite, "acct-carol", "dev-c1");
    const add = await addMembers(suite, t.aliceGroup, [carol.kp.keyPackage]);
    expect(add.epoch).toBe(1);
    const bobResult = await processMessage(suite, t.bobGroup, add.commit);
    expect(bobResult.kind).toBe("commit");
    expect(bobResult.sender).toEqual(t.alice.credential);
    const carolGroup = await joinFromWelcome(suite, add.welcome, add.ratchetTree, carol.kp);
    const alice = add.newGroup;
    const bob = bobResult.newGroup;
    expect([groupEpoch(alice), groupEpoch(bob), groupEpoch(carolGroup)]).toEqual([2, 2, 2]);
    expect(groupMembers(carolGroup).map((m) => m.credential)).toEqual([
      t.alice.credential,
      t.bob.credential,
      carol.credential,
    ]);
    const fromCarol = await encryptApplication(suite, carolGroup, utf8("hi all"));
    for (const receiver of [alice, bob]) {
      const r = await processMessage(suite, receiver, fromCarol.ciphertext);
      expect(r.kind === "application" && fromUtf8(r.plaintext)).toBe("hi all");
      expect(r.kind === "application" && r.sender).toEqual(carol.credential);
    }
  });

  it("commits are sent as mls_public_message (§6.2); an mls_private_message commit (earlier versions) is still processed", async () => {
    const t = await twoMembers(suite);
    const carol = await device(suite, "acct-carol", "dev-c1");
    const add = await addMembers(suite, t.aliceGroup, [carol.kp.keyPackage]);
    expect(decodeMlsMessage(add.commit, 0)?.[0].wireformat).toBe("mls_public_message");
    const viaPublic = await processMessage(suite, t.bobGroup, add.commit);
    expect(viaPublic).toMatchObject({ kind: "commit", sender: t.alice.credential });
    expect(groupMembers(viaPublic.newGroup)).toEqual(groupMembers(add.newGroup));

    const bob2 = await device(suite, "acct-bob", "dev-b2");
    const decoded = decodeMlsMessage(bob2.kp.keyPackage, 0)?.[0];
    if (decoded?.wireformat !== "mls_key_package") throw new Error("bad key package");
    const legacy = await createCommit(
      { state: peekState(add.newGroup), cipherSuite: suiteImpl(suite) },
      {
        wireAsPublicMessage: false,
        ratchetTreeExtension: false,
        extraProposals: [{ proposalType: "add", add: { keyPackage: decoded.keyPackage } }],
      },
    );
    expect(legacy.commit.wireformat).toBe("mls_private_message");
    const result = await processMessage(suite, viaPublic.newGroup, encodeMlsMessage(legacy.commit));
    expect(result.kind).toBe("commit");
    expect(result.sender).toEqual(t.alice.credential);
    expect(groupEpoch(result.newGroup)).toBe(3);
    expect(groupMembers(result.newGroup)).toHaveLength(4);
  });

  it("after a commit, a delayed message of the previous epoch still decrypts for a member who had that epoch", async () => {
    const t = await twoMembers(suite);
    const late = await encryptApplication(suite, t.aliceGroup, utf8("sent in epoch 1"));
    const later = await encryptApplication(suite, late.newGroup, utf8("also epoch 1"));
    const carol = await device(suite, "acct-carol", "dev-c1");
    const add = await addMembers(suite, later.newGroup, [carol.kp.keyPackage]);
    const bob = (await processMessage(suite, t.bobGroup, add.commit)).newGroup;
    // Out of order: the second message first, then the first one.
    const r2 = await processMessage(suite, bob, later.ciphertext);
    expect(r2.kind === "application" && fromUtf8(r2.plaintext)).toBe("also epoch 1");
    const r1 = await processMessage(suite, r2.newGroup, late.ciphertext);
    expect(r1.kind === "application" && fromUtf8(r1.plaintext)).toBe("sent in epoch 1");
    expect(r1.sender).toEqual(t.alice.credential);
    expect(groupEpoch(r1.newGroup)).toBe(2);
    // The current epoch still works after reading old-epoch traffic.
    expect((await send(suite, add.newGroup, r1.newGroup, "epoch 2")).plaintext).toBe("epoch 2");
  });

  it("a message from an epoch the receiver has no keys for fails with cause wrong-epoch", async () => {
    const t = await twoMembers(suite);
    const old = await encryptApplication(suite, t.aliceGroup, utf8("epoch 1"));
    const carol = await device(suite, "acct-carol", "dev-c1");
    const add = await addMembers(suite, old.newGroup, [carol.kp.keyPackage]);
    const carolGroup = await joinFromWelcome(suite, add.welcome, add.ratchetTree, carol.kp);
    const error = await processMessage(suite, carolGroup, old.ciphertext).catch(
      (e: unknown) => e as VollyError,
    );
    expect(error).toBeInstanceOf(VollyError);
    expect((error as VollyError).details).toMatchObject({ cause: "wrong-epoch", epoch: 2, messageEpoch: 1 });
    // carol's state is untouched by the failure.
    const hello = await send(suite, carolGroup, add.newGroup, "still fine");
    expect(hello.plaintext).toBe("still fine");
  });

  it("a commit replayed after its epoch, or one from a future epoch, fails with cause wrong-epoch", async () => {
    const t = await twoMembers(suite);
    const carol = await device(suite, "acct-carol", "dev-c1");
    const add = await addMembers(suite, t.aliceGroup, [carol.kp.keyPackage]);
    const bob = (await processMessage(suite, t.bobGroup, add.commit)).newGroup;
    expect(await causeOf(processMessage(suite, bob, add.commit))).toBe("wrong-epoch");
    // alice's own commit echoed back by the delivery service is also for a past epoch.
    expect(await causeOf(processMessage(suite, add.newGroup, add.commit))).toBe("wrong-epoch");
    // A member who missed a commit cannot read the next epoch's traffic.
    const dave = await device(suite, "acct-dave", "dev-d1");
    const next = await addMembers(suite, bob, [dave.kp.keyPackage]);
    const stale = add.newGroup; // alice, epoch 2
    const missed = await encryptApplication(suite, next.newGroup, utf8("epoch 3"));
    expect(await causeOf(processMessage(suite, stale, missed.ciphertext))).toBe("wrong-epoch");
  });

  it("garbage bytes fail with cause malformed; another group's message with wrong-group", async () => {
    const t = await twoMembers(suite);
    expect(await causeOf(processMessage(suite, t.bobGroup, utf8("not an MLS message")))).toBe("malformed");
    expect(await causeOf(processMessage(suite, t.bobGroup, new Uint8Array(0)))).toBe("malformed");
    const kpBytes = (await device(suite, "x", "y")).kp.keyPackage;
    expect(await causeOf(processMessage(suite, t.bobGroup, kpBytes))).toBe("malformed");
    const other = await twoMembers(suite); // another group that is also named "group-1"
    const foreignGroup = await createGroup(suite, "group-2", (await device(suite, "acct-z", "dev-z")).kp);
    const foreign = await encryptApplication(suite, foreignGroup, utf8("elsewhere"));
    expect(await causeOf(processMessage(suite, t.bobGroup, foreign.ciphertext))).toBe("wrong-group");
    // Same group id, different group (a fork): the sender data does not decrypt.
    const forked = await encryptApplication(suite, other.aliceGroup, utf8("fork"));
    expect(await causeOf(processMessage(suite, t.bobGroup, forked.ciphertext))).toBe("other");
    // Still usable after all those failures.
    expect((await send(suite, t.aliceGroup, t.bobGroup, "ok")).plaintext).toBe("ok");
  });

  it("a tampered ciphertext fails, a replay fails, and the untampered message still decrypts", async () => {
    const t = await twoMembers(suite);
    const { ciphertext } = await encryptApplication(suite, t.aliceGroup, utf8("integrity"));
    const tampered = ciphertext.slice();
    tampered[tampered.length - 2]! ^= 0x40;
    const cause = await causeOf(processMessage(suite, t.bobGroup, tampered));
    expect(["other", "bad-signature"]).toContain(cause);
    const r = await processMessage(suite, t.bobGroup, ciphertext);
    expect(r.kind === "application" && fromUtf8(r.plaintext)).toBe("integrity");
    await expect(processMessage(suite, r.newGroup, ciphertext)).rejects.toBeInstanceOf(VollyError);
  });

  it("a consumed group handle cannot be reused or persisted, but can still be inspected", async () => {
    const t = await twoMembers(suite);
    const { newGroup } = await encryptApplication(suite, t.aliceGroup, utf8("x"));
    await expect(encryptApplication(suite, t.aliceGroup, utf8("again"))).rejects.toThrow(/consumed/);
    expect(() => encodeGroup(t.aliceGroup)).toThrow(/consumed/);
    expect(groupEpoch(t.aliceGroup)).toBe(1);
    expect(encodeGroup(newGroup).length).toBeGreaterThan(0);
    // Two concurrent transitions on one handle: the second fails instead of reusing a ratchet key.
    const both = await Promise.allSettled([
      encryptApplication(suite, newGroup, utf8("1")),
      encryptApplication(suite, newGroup, utf8("2")),
    ]);
    expect(both.map((s) => s.status)).toEqual(["fulfilled", "rejected"]);
  });

  it("addMembers refuses a device already in the group and an invalid key package", async () => {
    const t = await twoMembers(suite);
    const again = await generateKeyPackage(suite, t.bob.identity, t.bob.credential);
    expect(await codeOf(addMembers(suite, t.aliceGroup, [again.keyPackage]))).toBe(
      "VOLLY_E_KEY_PACKAGE_INVALID",
    );
    expect(await codeOf(addMembers(suite, t.aliceGroup, [utf8("junk")]))).toBe("VOLLY_E_KEY_PACKAGE_INVALID");
  });

  it("generated key packages round-trip through their private encoding (two devices, one account)", async () => {
    const id = generateIdentity();
    const kp = await generateKeyPackage(suite, id, { accountId: "acct", deviceId: "d" });
    const copy: GeneratedKeyPackage = {
      keyPackage: kp.keyPackage.slice(),
      privateKeyPackage: kp.privateKeyPackage.slice(),
      ref: kp.ref,
    };
    const group = await createGroup(suite, "solo", copy);
    expect(groupMembers(group)[0]!.credential).toEqual({ accountId: "acct", deviceId: "d" });
    await expect(
      generateKeyPackage(
        suite,
        { ...id, signaturePublicKey: generateIdentity().signaturePublicKey },
        {
          accountId: "a",
          deviceId: "d",
        },
      ),
    ).rejects.toThrow(TypeError);
  });
});

describe("MLS with the classic X25519 suite", () => {
  it("creates, adds, and exchanges messages with MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519", async () => {
    const suite = await loadSuite(CLASSIC);
    const t = await twoMembers(suite);
    expect((await inspectKeyPackage(suite, t.bob.kp.keyPackage)).ciphersuite).toBe(CLASSIC);
    const one = await send(suite, t.aliceGroup, t.bobGroup, "classic");
    expect(one.plaintext).toBe("classic");
    expect(one.sender).toEqual(t.alice.credential);
    const back = await send(suite, decodeGroup(encodeGroup(one.to)), one.from, "back");
    expect(back.sender).toEqual(t.bob.credential);
    // A group of one suite cannot be driven with another.
    const xwing = await loadSuite(XWING);
    await expect(encryptApplication(xwing, back.to, utf8("x"))).rejects.toThrow(/uses/);
  });
});
