import {
  addMembers,
  DEFAULT_CIPHERSUITE,
  generateIdentity,
  generateKeyPackage,
  groupInfoForExternalJoin,
} from "@volly/crypto";
import { type CommitBody, newId, toBase64Url } from "@volly/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createMetrics, type Metrics } from "../src/metrics.js";
import { createServices, type Services } from "../src/services/services.js";
import { type AppFixture, appFixture, type HttpDevice, registerOverHttp } from "./helpers/app.js";
import { expectCode } from "./helpers/expect-code.js";
import { testSuite } from "./helpers/keys-crypto.js";
import {
  commitBody,
  createGroupBody,
  decryptAs,
  encryptAs,
  memberState,
  newGroupBodies,
} from "./helpers/mls-groups.js";
import {
  fakeCiphertext,
  registerDevice,
  type ServiceFixture,
  serviceFixture,
  type TestDevice,
} from "./helpers/services.js";
import { forEachBackend } from "./helpers/store-backends.js";

/** The value of `volly_commit_checks_total{outcome}`. */
async function checks(metrics: Metrics, outcome: string): Promise<number> {
  const line = (await metrics.render())
    .split("\n")
    .find((l) => l.startsWith(`volly_commit_checks_total{outcome="${outcome}"} `));
  return Number(line?.split(" ")[1] ?? Number.NaN);
}

forEachBackend((backend) =>
  describe("the delivery service verifies each commit before accepting it (RFC 9420 §6.2, §12.4)", () => {
    let f: ServiceFixture;
    let services: Services;
    let metrics: Metrics;
    let logged: { fields: object; msg: string }[];
    let alice: TestDevice;
    let bob: TestDevice;
    let carol: TestDevice;
    let dave: TestDevice;
    beforeEach(async () => {
      f = await serviceFixture(backend);
      metrics = createMetrics();
      logged = [];
      const log = { error: (fields: object, msg: string) => logged.push({ fields, msg }) };
      services = createServices(
        { store: f.store, bus: f.bus, now: f.clock.now, metrics, log },
        DEFAULT_CIPHERSUITE,
      );
      [alice, bob, carol, dave] = [
        await registerDevice(f.services, "alice"),
        await registerDevice(f.services, "bob"),
        await registerDevice(f.services, "carol"),
        await registerDevice(f.services, "dave"),
      ];
    });
    afterEach(() => f.close());

    /** A group of alice (admin) and bob at epoch 1. */
    const aliceAndBob = async () => {
      const groupId = newId();
      await services.groups.createGroup(alice.deviceId, await createGroupBody(groupId, alice));
      await services.delivery.commit(
        alice.deviceId,
        groupId,
        await commitBody(f.store, groupId, alice, [bob]),
      );
      return groupId;
    };
    /** Everything a refused commit must leave as it was. */
    const snapshot = async (groupId: string) => {
      const group = await f.store.groups.find(groupId);
      const epoch = group?.epoch ?? 0;
      return {
        group,
        members: await f.store.groups.listMembers(groupId),
        log: await f.store.log.readAfter(groupId, 0, { limit: 100 }),
        groupInfo: await f.store.groupState.findGroupInfo(groupId, epoch),
        nextGroupInfo: await f.store.groupState.findGroupInfo(groupId, epoch + 1),
        nextTree: await f.store.groups.findTree(groupId, epoch + 1),
        welcomes: [
          ...(await f.store.welcomes.listPending(carol.deviceId)),
          ...(await f.store.welcomes.listPending(dave.deviceId)),
        ],
      };
    };
    /** Posts `body` as `device`, expects `code` with `details`, and that nothing changed. */
    const refused = async (
      device: TestDevice,
      groupId: string,
      body: CommitBody,
      code: string,
      details: Record<string, unknown>,
    ) => {
      const before = await snapshot(groupId);
      const error = await expectCode(services.delivery.commit(device.deviceId, groupId, body), code);
      expect(error.details).toMatchObject(details);
      expect(await snapshot(groupId)).toEqual(before);
    };

    it("refuses forged, foreign and mismatched commits with typed errors, writes nothing, and the group goes on", async () => {
      const groupId = await aliceAndBob();
      const other = await aliceAndBob(); // another group, also at epoch 1
      const addCarol = await commitBody(f.store, groupId, alice, [carol]);
      const addDave = await commitBody(f.store, groupId, alice, [dave]);
      const removeBob = await commitBody(f.store, groupId, alice, [], [bob]);
      const byBob = await commitBody(f.store, groupId, bob, [carol]);
      const bobRejoins = await commitBody(f.store, groupId, bob);
      const foreign = await commitBody(f.store, other, alice, [carol]);
      const current = {
        groupInfo: (await f.store.groupState.findGroupInfo(groupId, 1)) ?? "",
        ratchetTree: (await f.store.groups.findTree(groupId, 1)) ?? "",
      };
      const bad = (cause: string, field: string) => ({ cause, field });

      // Not a commit at all.
      await refused(
        alice,
        groupId,
        { ...addCarol, commit: fakeCiphertext(300) },
        "VOLLY_E_BAD_REQUEST",
        bad("malformed", "commit"),
      );
      const application = await encryptAs(f.store, groupId, alice, "not a commit");
      await refused(
        alice,
        groupId,
        { ...addCarol, commit: application.ciphertext },
        "VOLLY_E_BAD_REQUEST",
        bad("not-public-message", "commit"),
      );
      await refused(
        alice,
        groupId,
        { ...addCarol, commit: current.groupInfo },
        "VOLLY_E_BAD_REQUEST",
        bad("not-public-message", "commit"),
      );
      // Another group's commit, and epochs the group is not at.
      await refused(alice, groupId, foreign, "VOLLY_E_BAD_REQUEST", bad("wrong-group", "commit"));
      await refused(alice, groupId, { ...addCarol, epoch: 2 }, "VOLLY_E_BAD_REQUEST", {
        cause: "wrong-epoch",
        epoch: 1,
      });
      // What it declares is not what it does.
      await refused(alice, groupId, { ...addCarol, addDeviceIds: [] }, "VOLLY_E_COMMIT_INVALID", {
        cause: "adds-mismatch",
        deviceId: carol.deviceId,
      });
      await refused(
        alice,
        groupId,
        { ...addCarol, addDeviceIds: [carol.deviceId, dave.deviceId] },
        "VOLLY_E_COMMIT_INVALID",
        {
          cause: "adds-mismatch",
          deviceId: dave.deviceId,
        },
      );
      await refused(alice, groupId, { ...removeBob, removeDeviceIds: [] }, "VOLLY_E_COMMIT_INVALID", {
        cause: "removes-mismatch",
        deviceId: bob.deviceId,
      });
      await refused(
        alice,
        groupId,
        { ...removeBob, removeDeviceIds: [carol.deviceId] },
        "VOLLY_E_COMMIT_INVALID",
        {
          cause: "removes-mismatch",
        },
      );
      // Another member's commit, posted by a device it is not.
      await refused(alice, groupId, byBob, "VOLLY_E_COMMIT_INVALID", {
        cause: "sender-not-poster",
        leafIndex: 1,
      });
      await refused(alice, groupId, bobRejoins, "VOLLY_E_COMMIT_INVALID", { cause: "sender-not-poster" });
      // An external commit that is more than a rejoin.
      await refused(
        bob,
        groupId,
        { ...bobRejoins, addDeviceIds: [carol.deviceId] },
        "VOLLY_E_COMMIT_INVALID",
        {
          cause: "not-a-resync",
        },
      );
      // The next epoch's GroupInfo: someone else's, the current epoch's, garbage.
      await refused(
        alice,
        groupId,
        { ...addCarol, groupInfo: bobRejoins.groupInfo, ratchetTree: bobRejoins.ratchetTree },
        "VOLLY_E_COMMIT_INVALID",
        { cause: "sender-not-poster", field: "groupInfo" },
      );
      await refused(
        alice,
        groupId,
        { ...addCarol, ...current },
        "VOLLY_E_BAD_REQUEST",
        bad("wrong-epoch", "groupInfo"),
      );
      await refused(
        alice,
        groupId,
        { ...addCarol, groupInfo: fakeCiphertext(90) },
        "VOLLY_E_BAD_REQUEST",
        bad("malformed", "groupInfo"),
      );
      // A Welcome for other key packages, or none.
      await refused(alice, groupId, { ...addCarol, welcome: addDave.welcome }, "VOLLY_E_COMMIT_INVALID", {
        cause: "welcome-mismatch",
      });
      const { welcome: _, ...noWelcome } = addCarol;
      await refused(alice, groupId, noWelcome, "VOLLY_E_COMMIT_INVALID", { cause: "welcome-mismatch" });
      await refused(
        alice,
        groupId,
        { ...addCarol, welcome: fakeCiphertext(64) },
        "VOLLY_E_BAD_REQUEST",
        bad("malformed", "welcome"),
      );
      expect(await checks(metrics, "rejected")).toBe(17); // the epoch check is not verification

      // The genuine commit still wins the epoch; carol joins from its Welcome and everyone talks.
      expect(await services.delivery.commit(alice.deviceId, groupId, addCarol)).toEqual({ seq: 2, epoch: 2 });
      const hello = await encryptAs(f.store, groupId, alice, "hello after the forgeries");
      const { seq } = await services.delivery.sendMessage(alice.deviceId, groupId, {
        messageId: newId(),
        epoch: hello.epoch,
        ciphertext: hello.ciphertext,
      });
      for (const reader of [bob, carol]) {
        const entry = (await services.delivery.backlog(reader.deviceId)).messages.find((m) => m.seq === seq);
        expect(await decryptAs(f.store, groupId, reader, entry?.payload ?? "")).toBe(
          "hello after the forgeries",
        );
      }
      const reply = await encryptAs(f.store, groupId, carol, "hi alice");
      expect(await decryptAs(f.store, groupId, alice, reply.ciphertext)).toBe("hi alice");
      // A commit of the old epoch is now stale; the next ones verify against epoch 2's stored state.
      await refused(alice, groupId, addDave, "VOLLY_E_STALE_EPOCH", { currentEpoch: 2 });
      expect(
        await services.delivery.commit(bob.deviceId, groupId, await commitBody(f.store, groupId, bob)),
      ).toMatchObject({ epoch: 3 });
      expect(
        await services.delivery.commit(
          alice.deviceId,
          groupId,
          await commitBody(f.store, groupId, alice, [], [carol]),
        ),
      ).toMatchObject({ epoch: 4 });
      expect(await checks(metrics, "verified")).toBe(2 + 3); // two groups' first commits, then these three
      expect(await checks(metrics, "unverified")).toBe(0);
    });

    it("refuses an added key package that does not carry its device's registered key", async () => {
      const groupId = await aliceAndBob();
      const suite = await testSuite();
      const state = await memberState(f.store, groupId, alice.deviceId);
      if (!state) throw new Error("alice has no state");
      // A key package naming carol's device, signed with a key that is not carol's.
      const impostor = await generateKeyPackage(suite, generateIdentity(), {
        accountId: carol.accountId,
        deviceId: carol.deviceId,
      });
      const added = await addMembers(suite, state, [impostor.keyPackage]);
      const body: CommitBody = {
        epoch: 1,
        commit: toBase64Url(added.commit),
        addDeviceIds: [carol.deviceId],
        removeDeviceIds: [],
        welcome: toBase64Url(added.welcome),
        ratchetTree: toBase64Url(added.ratchetTree),
        groupInfo: toBase64Url(await groupInfoForExternalJoin(suite, added.newGroup)),
      };
      await refused(alice, groupId, body, "VOLLY_E_COMMIT_INVALID", {
        cause: "added-key-mismatch",
        deviceId: carol.deviceId,
      });
      // A revoked device cannot be added either.
      await f.store.devices.revoke(dave.deviceId, 5);
      await refused(
        alice,
        groupId,
        await commitBody(f.store, groupId, alice, [dave]),
        "VOLLY_E_UNKNOWN_DEVICE",
        {
          deviceId: dave.deviceId,
        },
      );
    });

    it("creates a group only from the creating device's own one-member epoch-0 GroupInfo", async () => {
      const groupId = newId();
      const byBob = await createGroupBody(groupId, bob);
      const mine = await createGroupBody(groupId, alice);
      const forOther = await createGroupBody(newId(), alice);
      const attempts: [Record<string, string>, Record<string, unknown>][] = [
        [byBob, { cause: "not-the-creator", field: "groupInfo" }],
        [
          { ...forOther, groupId },
          { cause: "wrong-group", field: "groupInfo" },
        ],
        [
          { ...mine, groupInfo: fakeCiphertext(100) },
          { cause: "malformed", field: "groupInfo" },
        ],
        [
          { ...mine, ratchetTree: fakeCiphertext(100) },
          { cause: "malformed", field: "groupInfo" },
        ],
      ];
      for (const [body, details] of attempts) {
        const error = await expectCode(
          services.groups.createGroup(alice.deviceId, body as typeof mine),
          "VOLLY_E_BAD_REQUEST",
        );
        expect(error.details).toMatchObject(details);
        expect(await f.store.groups.find(groupId)).toBeUndefined();
      }
      expect(await services.groups.createGroup(alice.deviceId, mine)).toMatchObject({ groupId, epoch: 0 });
    });

    it("accepts a commit unverified in a group that has no stored state for its epoch (created before), and counts it", async () => {
      // A group as earlier servers created it: no epoch-0 GroupInfo or tree.
      const groupId = newId();
      await createGroupBody(groupId, alice); // alice's MLS group, never shown to the server
      await f.store.groups.insert({
        id: groupId,
        epoch: 0,
        lastSeq: 0,
        createdAt: 1,
        membershipPolicy: "admin",
      });
      await f.store.groups.addMembers(groupId, [alice.deviceId], 0);
      await f.store.groupState.addAdmins(groupId, [alice.accountId]);
      const addBob = await commitBody(f.store, groupId, alice, [bob]);
      // Even unverified, the GroupInfo it attaches must be the committer's own.
      const bobsInfo = await newGroupBodies(groupId, bob, [carol]);
      await refused(
        alice,
        groupId,
        { ...addBob, groupInfo: bobsInfo.commit.groupInfo, ratchetTree: bobsInfo.commit.ratchetTree },
        "VOLLY_E_COMMIT_INVALID",
        {
          cause: "sender-not-poster",
          field: "groupInfo",
        },
      );
      expect(await services.delivery.commit(alice.deviceId, groupId, addBob)).toEqual({ seq: 1, epoch: 1 });
      expect(await checks(metrics, "unverified")).toBe(1);
      // From its next epoch on the group is verified.
      await refused(
        bob,
        groupId,
        await commitBody(f.store, groupId, alice, [carol]),
        "VOLLY_E_COMMIT_INVALID",
        {
          cause: "sender-not-poster",
        },
      );
      expect(
        await services.delivery.commit(
          alice.deviceId,
          groupId,
          await commitBody(f.store, groupId, alice, [carol]),
        ),
      ).toEqual({ seq: 2, epoch: 2 });
      expect(await checks(metrics, "verified")).toBe(1);
    });

    it("answers VOLLY_E_INTERNAL and logs it when the stored state cannot be used, and writes nothing", async () => {
      const groupId = await aliceAndBob();
      const other = await aliceAndBob();
      // Epoch 1's stored GroupInfo replaced by another group's: the server's data, not the request.
      await f.store.groupState.putGroupInfo(
        groupId,
        1,
        (await f.store.groupState.findGroupInfo(other, 1)) ?? "",
      );
      await refused(
        alice,
        groupId,
        await commitBody(f.store, groupId, alice, [carol]),
        "VOLLY_E_INTERNAL",
        {},
      );
      expect(logged).toEqual([
        {
          fields: expect.objectContaining({
            groupId,
            epoch: 1,
            field: "commit",
            err: "The stored GroupInfo is another group's.",
          }),
          msg: "commit verification failed",
        },
      ]);
      expect(await checks(metrics, "rejected")).toBe(0);
    });

    it("verifies a commit too big for the event loop in the worker thread, with the same outcome", async () => {
      const groupId = await aliceAndBob();
      const many: TestDevice[] = [];
      for (let i = 0; i < 26; i++) many.push(await registerDevice(f.services));
      const body = await commitBody(f.store, groupId, alice, many);
      expect(body.commit.length * 0.75).toBeGreaterThan(64 * 1024); // over WORKER_COMMIT_BYTES
      await refused(bob, groupId, body, "VOLLY_E_COMMIT_INVALID", { cause: "sender-not-poster" });
      // One character in the middle (inside an added key package) changed: the signature breaks.
      const middle = Math.floor(body.commit.length / 2);
      const flipped = body.commit[middle] === "A" ? "B" : "A";
      const tampered = `${body.commit.slice(0, middle)}${flipped}${body.commit.slice(middle + 1)}`;
      await refused(alice, groupId, { ...body, commit: tampered }, "VOLLY_E_BAD_REQUEST", {
        field: "commit",
      });
      expect(await services.delivery.commit(alice.deviceId, groupId, body)).toEqual({ seq: 2, epoch: 2 });
      const last = many.at(-1) as TestDevice;
      const hello = await encryptAs(f.store, groupId, alice, "to all 28");
      expect(await decryptAs(f.store, groupId, last, hello.ciphertext)).toBe("to all 28");
    });
  }),
);

describe("commit verification over REST: the registry's statuses", () => {
  let f: AppFixture;
  let alice: HttpDevice;
  let bob: HttpDevice;
  beforeEach(async () => {
    f = await appFixture();
    alice = await registerOverHttp(f.app, "alice");
    bob = await registerOverHttp(f.app, "bob");
  });
  afterEach(() => f.close());

  const post = (device: HttpDevice, url: string, payload: object) =>
    f.app.inject({ method: "POST", url, headers: device.auth, payload });

  it("400 with details.cause for a refused commit, 400 VOLLY_E_COMMIT_INVALID for another device's, 500 logged for unusable stored state", async () => {
    const groupId = newId();
    const bodies = await newGroupBodies(groupId, alice, [bob]);
    expect((await post(alice, "/v1/groups", bodies.create)).statusCode).toBe(200);
    const garbage = await post(alice, `/v1/groups/${groupId}/commits`, {
      ...bodies.commit,
      commit: fakeCiphertext(),
    });
    expect(garbage.statusCode).toBe(400);
    expect(garbage.json()).toMatchObject({
      code: "VOLLY_E_BAD_REQUEST",
      details: { cause: "malformed", field: "commit" },
    });
    const foreign = await post(bob, `/v1/groups/${groupId}/commits`, bodies.commit);
    expect(foreign.statusCode).toBe(403); // bob is not a member yet: he never learns more
    const accepted = await post(alice, `/v1/groups/${groupId}/commits`, bodies.commit);
    expect(accepted.json()).toEqual({ seq: 1, epoch: 1 });
    const byAlice = await commitBody(f.store, groupId, alice);
    const invalid = await post(bob, `/v1/groups/${groupId}/commits`, byAlice);
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json()).toMatchObject({
      code: "VOLLY_E_COMMIT_INVALID",
      details: { cause: "sender-not-poster" },
    });

    await f.store.groups.putTree(groupId, 1, fakeCiphertext(70));
    const internal = await post(alice, `/v1/groups/${groupId}/commits`, byAlice);
    expect(internal.statusCode).toBe(500);
    expect(internal.json()).toEqual({ code: "VOLLY_E_INTERNAL", message: "Internal server error." });
    expect(f.logs()).toMatch(/"msg":"commit verification failed"/);
    expect(f.logs()).toMatch(/The stored ratchet tree is corrupt/);
    expect((await f.store.groups.find(groupId))?.epoch).toBe(1);
  });
});
