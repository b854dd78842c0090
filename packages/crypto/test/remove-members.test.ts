import { fromUtf8, utf8, VollyError } from "@volly/protocol";
import { beforeAll, describe, expect, it } from "vitest";
import {
  addMembers,
  createGroup,
  decodeGroup,
  encodeGroup,
  encryptApplication,
  generateIdentity,
  generateKeyPackage,
  groupEpoch,
  groupMembers,
  isRemovedFromGroup,
  joinFromWelcome,
  leafIndicesOf,
  loadSuite,
  type MlsGroup,
  type MlsSuite,
  ownLeafIndex,
  processMessage,
  removeMembers,
} from "../src/index.js";

async function kp(suite: MlsSuite, accountId: string, deviceId: string) {
  return generateKeyPackage(suite, generateIdentity(), { accountId, deviceId });
}

/** alice (a1) creates a group with bob (b1), carol (c1, c2); returns every member's state. */
async function fourDevices(suite: MlsSuite) {
  const a1 = await kp(suite, "acct-alice", "dev-a1");
  const others = [
    await kp(suite, "acct-bob", "dev-b1"),
    await kp(suite, "acct-carol", "dev-c1"),
    await kp(suite, "acct-carol", "dev-c2"),
  ];
  const created = await createGroup(suite, "group-r", a1);
  const add = await addMembers(
    suite,
    created,
    others.map((o) => o.keyPackage),
  );
  const [b1, c1, c2] = await Promise.all(
    others.map((o) => joinFromWelcome(suite, add.welcome, add.ratchetTree, o)),
  );
  return { a1: add.newGroup, b1: b1!, c1: c1!, c2: c2! };
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<VollyError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(VollyError);
    expect((err as VollyError).code).toBe(code);
    return err as VollyError;
  }
  throw new Error(`expected ${code}`);
}

describe("removeMembers: commits of Remove proposals (RFC 9420 §12.1.3)", () => {
  let suite: MlsSuite;
  beforeAll(async () => {
    suite = await loadSuite();
  });

  it("removing every device of an account: the others move on, the removed ones learn it and cannot read on", async () => {
    const { a1, b1, c1, c2 } = await fourDevices(suite);
    expect(leafIndicesOf(a1, "dev-c2")).toEqual([3]);
    expect(ownLeafIndex(c1)).toBe(2);
    const removal = await removeMembers(suite, a1, ["dev-c1", "dev-c2"]);
    expect(removal.epoch).toBe(1);
    expect(removal.removed.map((m) => m.credential.deviceId)).toEqual(["dev-c1", "dev-c2"]);
    expect(groupEpoch(a1), "the input state is not mutated").toBe(1);
    expect(groupEpoch(removal.newGroup)).toBe(2);

    const bobNext = await processMessage(suite, b1, removal.commit);
    expect(bobNext.kind).toBe("commit");
    expect(groupMembers(bobNext.newGroup).map((m) => m.credential.deviceId)).toEqual(["dev-a1", "dev-b1"]);
    expect(isRemovedFromGroup(bobNext.newGroup)).toBe(false);

    const carolNext = await processMessage(suite, c1, removal.commit);
    expect(isRemovedFromGroup(carolNext.newGroup)).toBe(true);
    expect(isRemovedFromGroup(removal.newGroup)).toBe(false);
    // A removed state survives persistence.
    expect(isRemovedFromGroup(decodeGroup(encodeGroup(carolNext.newGroup)))).toBe(true);
    await expect(encryptApplication(suite, carolNext.newGroup, utf8("still here?"))).rejects.toThrow();

    const sent = await encryptApplication(suite, removal.newGroup, utf8("after the removal"));
    const got = await processMessage(suite, bobNext.newGroup, sent.ciphertext);
    expect(got.kind === "application" && fromUtf8(got.plaintext)).toBe("after the removal");
    const c2Next = await processMessage(suite, c2, removal.commit);
    await expectCode(processMessage(suite, c2Next.newGroup, sent.ciphertext), "VOLLY_E_DECRYPT_FAILED");
  });

  it("takes leaf indices too, and refuses self-removal, non-members and an empty list", async () => {
    const { a1, b1 } = await fourDevices(suite);
    const byIndex = await removeMembers(suite, a1, [1]);
    expect(byIndex.removed.map((m) => m.credential.accountId)).toEqual(["acct-bob"]);
    const self = await expectCode(removeMembers(suite, a1, ["dev-a1"]), "VOLLY_E_USAGE");
    expect(self.message).toMatch(/own removal/);
    const stranger = await expectCode(removeMembers(suite, a1, ["dev-x9"]), "VOLLY_E_USAGE");
    expect(stranger.details).toEqual({ target: "dev-x9" });
    await expectCode(removeMembers(suite, b1, [7]), "VOLLY_E_USAGE");
    await expect(removeMembers(suite, a1, [])).rejects.toThrow(TypeError);
  });

  it("two commits for one epoch: the loser processes the winner and rebuilds; no fork", async () => {
    const { a1, b1, c1, c2 } = await fourDevices(suite);
    // Both alice and bob try to commit in epoch 1; the delivery service accepts alice's.
    const aliceCommit = await removeMembers(suite, a1, ["dev-c2"]);
    const bobCommit = await removeMembers(suite, b1, ["dev-c1"]);
    expect(aliceCommit.epoch).toBe(bobCommit.epoch);
    // bob drops his pending state, processes alice's commit, and rebuilds his on the new epoch.
    const bobAfter = await processMessage(suite, b1, aliceCommit.commit);
    const bobRetry = await removeMembers(suite, bobAfter.newGroup, ["dev-c1"]);
    expect(bobRetry.epoch).toBe(2);
    const aliceAfter = await processMessage(suite, aliceCommit.newGroup, bobRetry.commit);
    const c1After = await processMessage(
      suite,
      (await processMessage(suite, c1, aliceCommit.commit)).newGroup,
      bobRetry.commit,
    );
    expect(isRemovedFromGroup(c1After.newGroup)).toBe(true);
    expect(isRemovedFromGroup((await processMessage(suite, c2, aliceCommit.commit)).newGroup)).toBe(true);
    expect(groupEpoch(aliceAfter.newGroup)).toBe(3);
    const msg = await encryptApplication(suite, bobRetry.newGroup, utf8("same tree"));
    const got = await processMessage(suite, aliceAfter.newGroup, msg.ciphertext);
    expect(got.kind === "application" && fromUtf8(got.plaintext)).toBe("same tree");
    expect(groupMembers(aliceAfter.newGroup)).toEqual(groupMembers(bobRetry.newGroup));
  });

  it("a member added after a removal reuses the blank leaf and everyone agrees on the tree", async () => {
    const { a1, b1 } = await fourDevices(suite);
    const removal = await removeMembers(suite, a1, ["dev-c1"]);
    let bob: MlsGroup = (await processMessage(suite, b1, removal.commit)).newGroup;
    const dave = await kp(suite, "acct-dave", "dev-d1");
    const add = await addMembers(suite, removal.newGroup, [dave.keyPackage]);
    bob = (await processMessage(suite, bob, add.commit)).newGroup;
    const daveGroup = await joinFromWelcome(suite, add.welcome, add.ratchetTree, dave);
    expect(leafIndicesOf(daveGroup, "dev-d1")).toEqual([2]);
    expect(groupMembers(bob)).toEqual(groupMembers(daveGroup));
  });
});
