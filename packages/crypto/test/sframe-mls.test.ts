import { beforeAll, describe, expect, it } from "vitest";
import {
  addMembers,
  createGroup,
  decodeSFrameHeader,
  exportSecret,
  generateIdentity,
  generateKeyPackage,
  groupEpoch,
  joinFromWelcome,
  loadSuite,
  type MlsGroup,
  MlsSFrameContext,
  type MlsSuite,
  ownLeafIndex,
  parseSFrameMlsKid,
  processMessage,
  removeMembers,
  SFrameError,
  type SFrameMlsEpoch,
  sframeMlsEpoch,
  sframeMlsKid,
} from "../src/index.js";

const CALL = "call-01JD7Q5M3KX";
const frame = new TextEncoder().encode("opus frame 20 ms");

async function kp(suite: MlsSuite, accountId: string, deviceId: string) {
  return generateKeyPackage(suite, generateIdentity(), { accountId, deviceId });
}

/** alice (a1) creates a group with bob (b1) and carol (c1); every member's state. */
async function threeDevices(suite: MlsSuite) {
  const a1 = await kp(suite, "acct-alice", "dev-a1");
  const others = [await kp(suite, "acct-bob", "dev-b1"), await kp(suite, "acct-carol", "dev-c1")];
  const created = await createGroup(suite, "group-call", a1);
  const add = await addMembers(
    suite,
    created,
    others.map((o) => o.keyPackage),
  );
  const [b1, c1] = await Promise.all(
    others.map((o) => joinFromWelcome(suite, add.welcome, add.ratchetTree, o)),
  );
  return { a1: add.newGroup, b1: b1!, c1: c1! };
}

async function contextFor(suite: MlsSuite, group: MlsGroup, callId = CALL): Promise<MlsSFrameContext> {
  const ctx = new MlsSFrameContext();
  await ctx.setEpoch(await sframeMlsEpoch(suite, group, callId));
  return ctx;
}

async function failure(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => "no error",
    (err: unknown) => {
      expect(err).toBeInstanceOf(SFrameError);
      return (err as SFrameError).details?.cause as string;
    },
  );
}

describe("SFrame keys from MLS (RFC 9605 §5.2)", () => {
  let suite: MlsSuite;
  beforeAll(async () => {
    suite = await loadSuite();
  });

  it("KID = (sender_index << E) + (epoch mod 2^E): the RFC's examples", () => {
    expect(sframeMlsKid(3, 14)).toBe(0x3en);
    expect(sframeMlsKid(20, 14)).toBe(0x14en);
    expect(sframeMlsKid(5, 15)).toBe(0x5fn);
    expect(sframeMlsKid(33, 17)).toBe(0x211n);
    expect(sframeMlsKid(51, 17)).toBe(0x331n);
    expect(parseSFrameMlsKid(0x331n)).toEqual({ senderIndex: 51, epochLow: 1 });
    expect(sframeMlsKid(2, 5, 1)).toBe(0b101n);
  });

  it("members of an epoch export the same secret; another label, context or epoch gives another", async () => {
    const { a1, b1 } = await threeDevices(suite);
    const context = new TextEncoder().encode(CALL);
    const alice = await exportSecret(suite, a1, "SFrame 1.0 Base Key", context, 32);
    expect(alice).toHaveLength(32);
    expect(await exportSecret(suite, b1, "SFrame 1.0 Base Key", context, 32)).toEqual(alice);
    expect(await exportSecret(suite, b1, "other label", context, 32)).not.toEqual(alice);
    expect(await exportSecret(suite, b1, "SFrame 1.0 Base Key", new Uint8Array(0), 32)).not.toEqual(alice);
    await expect(exportSecret(suite, a1, "x", context, 0)).rejects.toThrow(RangeError);
    expect(groupEpoch(a1), "exporting does not consume the state").toBe(1);
  });

  it("two members derive the same key for a sender: frames cross both ways and reach a third", async () => {
    const { a1, b1, c1 } = await threeDevices(suite);
    const [alice, bob, carol] = await Promise.all([
      contextFor(suite, a1),
      contextFor(suite, b1),
      contextFor(suite, c1),
    ]);

    const fromAlice = await alice.encrypt(frame);
    const header = decodeSFrameHeader(fromAlice);
    expect(header.kid).toBe(sframeMlsKid(ownLeafIndex(a1), 1));
    const atBob = await bob.decrypt(fromAlice);
    expect(atBob).toMatchObject({ senderIndex: ownLeafIndex(a1), epoch: 1, plaintext: frame });
    expect((await carol.decrypt(fromAlice)).plaintext).toEqual(frame);

    const fromBob = await bob.encrypt(frame);
    expect(await alice.decrypt(fromBob)).toMatchObject({ senderIndex: ownLeafIndex(b1), plaintext: frame });
    expect(await failure(alice.decrypt(fromAlice)), "its own KID").toBe("own-kid");
  });

  it("another call of the same conversation has other keys", async () => {
    const { a1, b1 } = await threeDevices(suite);
    const alice = await contextFor(suite, a1, "call-one");
    const bobOtherCall = await contextFor(suite, b1, "call-two");
    expect(await failure(bobOtherCall.decrypt(await alice.encrypt(frame)))).toBe("authentication");
  });

  it("a removed member cannot open frames sealed after its removal", async () => {
    const { a1, b1, c1 } = await threeDevices(suite);
    const [alice, bob, carol] = await Promise.all([
      contextFor(suite, a1),
      contextFor(suite, b1),
      contextFor(suite, c1),
    ]);
    const beforeRemoval = await alice.encrypt(frame);
    expect((await carol.decrypt(beforeRemoval)).plaintext).toEqual(frame);

    const removal = await removeMembers(suite, a1, ["dev-c1"]);
    const bobNext = await processMessage(suite, b1, removal.commit);
    const carolNext = await processMessage(suite, c1, removal.commit);
    expect(groupEpoch(removal.newGroup)).toBe(2);
    await alice.setEpoch(await sframeMlsEpoch(suite, removal.newGroup, CALL));
    await bob.setEpoch(await sframeMlsEpoch(suite, bobNext.newGroup, CALL));
    expect(alice.sendingEpoch).toBe(2);

    const afterRemoval = await alice.encrypt(frame);
    expect(parseSFrameMlsKid(decodeSFrameHeader(afterRemoval).kid).epochLow).toBe(2);
    expect(await bob.decrypt(afterRemoval)).toMatchObject({ epoch: 2, plaintext: frame });
    expect(await failure(carol.decrypt(afterRemoval)), "carol holds no epoch-2 keys").toBe("unknown-kid");

    // Whatever carol's last state exports, it is not the new epoch's key: posing it as epoch 2 fails.
    const carolState = carolNext.newGroup;
    expect(groupEpoch(carolState)).toBeLessThan(2);
    const carolsGuess = await sframeMlsEpoch(suite, carolState, CALL);
    const forged = new MlsSFrameContext();
    await forged.setEpoch({ ...carolsGuess, epoch: 2, senderIndices: [0, 1, 2] });
    expect(await failure(forged.decrypt(afterRemoval))).toBe("authentication");

    // bob still opens late frames of epoch 1 until he retires it
    expect((await bob.decrypt(beforeRemoval)).epoch).toBe(1);
    const lateEpoch1 = await carol.encrypt(frame);
    await bob.retireEpoch(1);
    expect(bob.heldEpochs()).toEqual([2]);
    expect(await failure(bob.decrypt(lateEpoch1))).toBe("unknown-kid");
  });
});

describe("MlsSFrameContext epochs", () => {
  const epoch = (n: number, own = 0, members = [0, 1, 2]): SFrameMlsEpoch => ({
    cipherSuite: 0x0005,
    epoch: n,
    baseKey: crypto.getRandomValues(new Uint8Array(32)),
    ownSenderIndex: own,
    senderIndices: members,
  });

  it("an epoch with the same low E bits replaces the older one (rollover), never the reverse", async () => {
    const e1 = epoch(1);
    const e17 = epoch(17);
    const sender = new MlsSFrameContext();
    const receiver = new MlsSFrameContext();
    await sender.setEpoch(e1);
    await receiver.setEpoch({ ...e1, ownSenderIndex: 1 });
    const first = await sender.encrypt(frame);
    const old = await sender.encrypt(frame); // CTR 1, not delivered before the rollover
    expect((await receiver.decrypt(first)).epoch).toBe(1);

    await sender.setEpoch(e17);
    await receiver.setEpoch({ ...e17, ownSenderIndex: 1 });
    expect(receiver.heldEpochs()).toEqual([17]);
    const next = await sender.encrypt(frame);
    expect(decodeSFrameHeader(next).kid, "same KID as epoch 1").toBe(decodeSFrameHeader(first).kid);
    expect(decodeSFrameHeader(next).ctr, "a new key: CTR starts over").toBe(0n);
    expect((await receiver.decrypt(next)).epoch).toBe(17);
    expect(await failure(receiver.decrypt(old)), "epoch 1's frame under epoch 17's key").toBe(
      "authentication",
    );
    expect(await failure(receiver.setEpoch(e1))).toBe("invalid-argument");
  });

  it("refuses senders that are not members, wrong suites and a changed base key for a held epoch", async () => {
    const e3 = epoch(3);
    const ctx = new MlsSFrameContext();
    await ctx.setEpoch(e3);
    await ctx.setEpoch({ ...e3 }); // same epoch, same key: no-op
    expect(await failure(ctx.setEpoch(epoch(3)))).toBe("invalid-argument");
    expect(await failure(ctx.setEpoch({ ...epoch(4), cipherSuite: 0x0004 }))).toBe("invalid-argument");
    expect(await failure(ctx.setEpoch(epoch(5, 9)))).toBe("invalid-argument");

    const stranger = new MlsSFrameContext();
    await stranger.setEpoch({ ...e3, ownSenderIndex: 7, senderIndices: [0, 1, 2, 7] });
    expect(await failure(ctx.decrypt(await stranger.encrypt(frame))), "leaf 7 is no member").toBe(
      "unknown-kid",
    );
    expect(await failure(new MlsSFrameContext().encrypt(frame))).toBe("no-key");
  });
});
