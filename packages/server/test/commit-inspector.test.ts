import {
  addMembers,
  type CommitEpochContext,
  createGroup,
  DEFAULT_CIPHERSUITE,
  generateIdentity,
  generateKeyPackage,
  inspectCommit,
  inspectGroupInfo,
  type MlsSuite,
  publicGroupState,
  welcomeKeyPackageRefs,
} from "@volly/crypto";
import { VollyError } from "@volly/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CommitInspector, createCommitInspector } from "../src/services/delivery/commit-inspector.js";
import { testSuite } from "./helpers/keys-crypto.js";

/** The error a promise rejects with. */
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (error: unknown) => error,
  );

describe("commit inspector: the same checks on the event loop and in the worker thread", () => {
  let suite: MlsSuite;
  let inline: CommitInspector;
  let worker: CommitInspector;
  let epoch0: CommitEpochContext;
  let added: Awaited<ReturnType<typeof addMembers>>;
  let next: Awaited<ReturnType<typeof publicGroupState>>;

  beforeAll(async () => {
    suite = await testSuite();
    inline = createCommitInspector({
      suite: testSuite,
      ciphersuite: DEFAULT_CIPHERSUITE,
      workerCommitBytes: Number.POSITIVE_INFINITY,
      workerGroupInfoBytes: Number.POSITIVE_INFINITY,
    });
    worker = createCommitInspector({
      suite: testSuite,
      ciphersuite: DEFAULT_CIPHERSUITE,
      workerCommitBytes: 0,
      workerGroupInfoBytes: 0,
    });
    const kp = (n: number) =>
      generateKeyPackage(suite, generateIdentity(), { accountId: `acct-${n}`, deviceId: `dev-${n}` });
    const group = await createGroup(suite, "g-inspector", await kp(0));
    epoch0 = await publicGroupState(suite, group);
    added = await addMembers(suite, group, [(await kp(1)).keyPackage, (await kp(2)).keyPackage]);
    next = await publicGroupState(suite, added.newGroup);
  });
  afterAll(async () => {
    await worker.close();
    await inline.close();
  });

  it("gives the same inspections as @volly/crypto itself", async () => {
    const expected = await inspectCommit(suite, added.commit, epoch0);
    expect(await worker.inspectCommit(added.commit, epoch0)).toEqual(expected);
    expect(await inline.inspectCommit(added.commit, epoch0)).toEqual(expected);
    const info = await inspectGroupInfo(suite, next.groupInfo, next.ratchetTree, {
      groupId: "g-inspector",
      epoch: 1,
    });
    expect(
      await worker.inspectGroupInfo(next.groupInfo, next.ratchetTree, { groupId: "g-inspector", epoch: 1 }),
    ).toEqual(info);
    expect(await worker.welcomeKeyPackageRefs(added.welcome)).toEqual(welcomeKeyPackageRefs(added.welcome));
  });

  it("rejects with the same VollyError (code, message, details) for a refused input", async () => {
    const garbage = new Uint8Array(200).fill(7);
    for (const [a, b] of [
      [failure(worker.inspectCommit(garbage, epoch0)), failure(inline.inspectCommit(garbage, epoch0))],
      [failure(worker.welcomeKeyPackageRefs(garbage)), failure(inline.welcomeKeyPackageRefs(garbage))],
      [
        failure(
          worker.inspectGroupInfo(next.groupInfo, next.ratchetTree, { groupId: "g-inspector", epoch: 2 }),
        ),
        failure(
          inline.inspectGroupInfo(next.groupInfo, next.ratchetTree, { groupId: "g-inspector", epoch: 2 }),
        ),
      ],
    ]) {
      const [fromWorker, fromInline] = [await a, await b];
      expect(fromWorker).toBeInstanceOf(VollyError);
      expect(fromWorker).toMatchObject({
        code: (fromInline as VollyError).code,
        message: (fromInline as VollyError).message,
        details: (fromInline as VollyError).details,
      });
    }
  });

  it("rejects with a plain Error (not the request's fault) when the stored state is unusable", async () => {
    const corrupt = { ...epoch0, ratchetTree: new Uint8Array([1, 2, 3]) };
    const error = await failure(worker.inspectCommit(added.commit, corrupt));
    expect(error).not.toBeInstanceOf(VollyError);
    expect((error as Error).message).toMatch(/stored ratchet tree is corrupt/);
  });

  it("fails what is pending when the worker is stopped, and starts a new one for the next check", async () => {
    const fresh = createCommitInspector({
      suite: testSuite,
      ciphersuite: DEFAULT_CIPHERSUITE,
      workerCommitBytes: 0,
    });
    // A new worker first loads @volly/crypto: the request waits for that, and the worker is stopped.
    const pending = failure(fresh.inspectCommit(added.commit, epoch0));
    await fresh.close();
    expect(((await pending) as Error).message).toMatch(/commit inspection worker/);
    expect(await fresh.inspectCommit(added.commit, epoch0)).toMatchObject({ epoch: 0, added: [{}, {}] });
    await fresh.close();
  });
});
