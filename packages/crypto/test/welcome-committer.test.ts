import { VollyError } from "@volly/protocol";
import { beforeAll, describe, expect, it } from "vitest";
import {
  addMembers,
  createGroup,
  DEFAULT_CIPHERSUITE,
  type GeneratedKeyPackage,
  generateIdentity,
  generateKeyPackage,
  joinFromWelcome,
  loadSuite,
  type MlsSuite,
  welcomeCommitter,
} from "../src/index.js";

async function keyPackage(
  suite: MlsSuite,
  accountId: string,
  deviceId: string,
): Promise<GeneratedKeyPackage> {
  return generateKeyPackage(suite, generateIdentity(), { accountId, deviceId });
}

describe("welcomeCommitter: who added a joining device (RFC 9420 §12.4.3.1, the GroupInfo's signer)", () => {
  let suite: MlsSuite;
  beforeAll(async () => {
    suite = await loadSuite(DEFAULT_CIPHERSUITE);
  });

  it("names the member who committed the Add, not the group's creator", async () => {
    const alice = await keyPackage(suite, "acct-alice", "dev-a1");
    const bob = await keyPackage(suite, "acct-bob", "dev-b1");
    const carol = await keyPackage(suite, "acct-carol", "dev-c1");
    const created = await createGroup(suite, "group-w", alice);
    const addBob = await addMembers(suite, created, [bob.keyPackage]);
    const bobGroup = await joinFromWelcome(suite, addBob.welcome, addBob.ratchetTree, bob);
    expect((await welcomeCommitter(suite, addBob.welcome, bob, bobGroup)).credential).toEqual({
      accountId: "acct-alice",
      deviceId: "dev-a1",
    });

    // bob (not the creator) adds carol: carol learns it was bob
    const addCarol = await addMembers(suite, bobGroup, [carol.keyPackage]);
    const carolGroup = await joinFromWelcome(suite, addCarol.welcome, addCarol.ratchetTree, carol);
    const committer = await welcomeCommitter(suite, addCarol.welcome, carol, carolGroup);
    expect(committer.credential).toEqual({ accountId: "acct-bob", deviceId: "dev-b1" });
    expect(committer.leafIndex).toBe(1);
  });

  it("refuses a Welcome that is not the one the state was joined with", async () => {
    const alice = await keyPackage(suite, "acct-alice", "dev-a1");
    const bob = await keyPackage(suite, "acct-bob", "dev-b1");
    const other = await keyPackage(suite, "acct-alice", "dev-a1");
    const first = await addMembers(suite, await createGroup(suite, "group-x", alice), [bob.keyPackage]);
    const bobGroup = await joinFromWelcome(suite, first.welcome, first.ratchetTree, bob);
    const bob2 = await keyPackage(suite, "acct-bob", "dev-b2");
    const second = await addMembers(suite, await createGroup(suite, "group-y", other), [bob2.keyPackage]);
    const wrong = await welcomeCommitter(suite, second.welcome, bob2, bobGroup).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(VollyError);
    expect((wrong as VollyError).code).toBe("VOLLY_E_DECRYPT_FAILED");
    const notAddressed = await welcomeCommitter(suite, first.welcome, bob2, bobGroup).catch(
      (e: unknown) => e,
    );
    expect((notAddressed as VollyError).details?.cause).toBe("other");
  });
});
