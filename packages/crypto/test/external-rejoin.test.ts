import { fromUtf8, utf8 } from "@volly/protocol";
import { beforeAll, describe, expect, it } from "vitest";
import {
  addMembers,
  createGroup,
  DEFAULT_CIPHERSUITE,
  encryptApplication,
  generateIdentity,
  generateKeyPackage,
  groupEpoch,
  groupInfoForExternalJoin,
  groupMembers,
  joinFromWelcome,
  loadSuite,
  type MlsGroup,
  type MlsSuite,
  processMessage,
  rejoinExternally,
} from "../src/index.js";

async function roundTrip(suite: MlsSuite, from: MlsGroup, to: MlsGroup, text: string) {
  const sent = await encryptApplication(suite, from, utf8(text));
  const received = await processMessage(suite, to, sent.ciphertext);
  if (received.kind !== "application") throw new Error("expected an application message");
  return { from: sent.newGroup, to: received.newGroup, text: fromUtf8(received.plaintext) };
}

describe("resync by external commit (RFC 9420 §12.4.3.2)", () => {
  let suite: MlsSuite;
  beforeAll(async () => {
    suite = await loadSuite(DEFAULT_CIPHERSUITE);
  });

  it("lets a member that lost its state rejoin, replacing its own leaf; both sides decrypt afterwards", async () => {
    const aliceId = generateIdentity();
    const bobId = generateIdentity();
    const aliceCred = { accountId: "acct-alice", deviceId: "dev-a" };
    const bobCred = { accountId: "acct-bob", deviceId: "dev-b" };
    const created = await createGroup(suite, "g-resync", await generateKeyPackage(suite, aliceId, aliceCred));
    const bobKp = await generateKeyPackage(suite, bobId, bobCred);
    const add = await addMembers(suite, created, [bobKp.keyPackage]);
    let alice = add.newGroup;
    // the GroupInfo alice attaches to her commit, and the tree the delivery service keeps with it
    const groupInfo = await groupInfoForExternalJoin(suite, alice);
    await joinFromWelcome(suite, add.welcome, add.ratchetTree, bobKp); // bob's state, then lost

    const rejoin = await rejoinExternally(suite, groupInfo, add.ratchetTree, bobId, bobCred);
    expect(rejoin.epoch).toBe(1);
    const bob = rejoin.newGroup;
    expect(groupEpoch(bob)).toBe(2);
    expect(
      groupMembers(bob)
        .map((m) => m.credential.deviceId)
        .sort(),
    ).toEqual(["dev-a", "dev-b"]);

    const processed = await processMessage(suite, alice, rejoin.commit);
    expect(processed).toMatchObject({ kind: "commit", sender: bobCred });
    alice = processed.newGroup;
    expect(groupEpoch(alice)).toBe(2);
    expect(groupMembers(alice)).toEqual(groupMembers(bob));

    const one = await roundTrip(suite, alice, bob, "after resync");
    expect(one.text).toBe("after resync");
    const two = await roundTrip(suite, one.to, one.from, "bob answers");
    expect(two.text).toBe("bob answers");
    // and the new state can publish a GroupInfo of its own
    expect((await groupInfoForExternalJoin(suite, two.from)).length).toBeGreaterThan(100);
  });

  it("refuses malformed input and a device with no leaf to replace", async () => {
    const id = generateIdentity();
    const cred = { accountId: "a", deviceId: "d" };
    const created = await createGroup(suite, "g-x", await generateKeyPackage(suite, id, cred));
    const info = await groupInfoForExternalJoin(suite, created);
    await expect(
      rejoinExternally(suite, new Uint8Array([1, 2]), new Uint8Array(), id, cred),
    ).rejects.toMatchObject({
      code: "VOLLY_E_DECRYPT_FAILED",
      details: { cause: "malformed" },
    });
    const other = await addMembers(suite, created, [
      (await generateKeyPackage(suite, generateIdentity(), { accountId: "b", deviceId: "e" })).keyPackage,
    ]);
    await expect(
      rejoinExternally(suite, info, other.ratchetTree, generateIdentity(), { accountId: "z", deviceId: "z" }),
    ).rejects.toMatchObject({ code: "VOLLY_E_DECRYPT_FAILED" });
  });
});
