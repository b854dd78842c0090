import { LIMITS, newId } from "@volly/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expectCode } from "./helpers/expect-code.js";
import { newKeys } from "./helpers/identity.js";
import { commitBody, createGroupBody } from "./helpers/mls-groups.js";
import {
  fakeCiphertext,
  groupWith,
  registerDevice,
  type ServiceFixture,
  serviceFixture,
  type TestDevice,
} from "./helpers/services.js";
import { forEachBackend } from "./helpers/store-backends.js";

forEachBackend((backend) =>
  describe("delivery service (RFC 9420 §14, §16.9)", () => {
    let f: ServiceFixture;
    let alice: TestDevice;
    let bob: TestDevice;
    let carol: TestDevice;
    beforeEach(async () => {
      f = await serviceFixture(backend);
      alice = await registerDevice(f.services, "alice");
      bob = await registerDevice(f.services, "bob");
      carol = await registerDevice(f.services, "carol");
    });
    afterEach(() => f.close());

    const send = (
      d: TestDevice,
      groupId: string,
      epoch = 1,
      messageId = newId(),
      ciphertext = fakeCiphertext(),
    ) => f.services.delivery.sendMessage(d.deviceId, groupId, { messageId, epoch, ciphertext });

    it("creates a group at epoch 0 with the creator as its only member; a second create is VOLLY_E_GROUP_EXISTS", async () => {
      const groupId = newId();
      const body = await createGroupBody(groupId, alice);
      expect(await f.services.groups.createGroup(alice.deviceId, body)).toEqual({
        groupId,
        epoch: 0,
        lastSeq: 0,
        memberDeviceIds: [alice.deviceId],
        adminAccountIds: [alice.accountId],
      });
      // The epoch-0 tree and GroupInfo are kept: the first commit is verified against them.
      expect(await f.store.groups.findTree(groupId, 0)).toBe(body.ratchetTree);
      expect(await f.store.groupState.findGroupInfo(groupId, 0)).toBe(body.groupInfo);
      await expectCode(
        f.services.groups.createGroup(bob.deviceId, await createGroupBody(groupId, bob)),
        "VOLLY_E_GROUP_EXISTS",
      );
      await expectCode(f.services.groups.getGroup(bob.deviceId, groupId), "VOLLY_E_NOT_GROUP_MEMBER");
      await expectCode(f.services.groups.getGroup(bob.deviceId, newId()), "VOLLY_E_UNKNOWN_GROUP");
    });

    it("reserves a group id equal to an account id for that account's devices (account sync)", async () => {
      await expectCode(
        f.services.groups.createGroup(bob.deviceId, await createGroupBody(alice.accountId, bob)),
        "VOLLY_E_GROUP_EXISTS",
      );
      await expectCode(f.services.groups.getGroup(alice.deviceId, alice.accountId), "VOLLY_E_UNKNOWN_GROUP");
      const own = await f.services.groups.createGroup(
        alice.deviceId,
        await createGroupBody(alice.accountId, alice),
      );
      expect(own.memberDeviceIds).toEqual([alice.deviceId]);
    });

    it("accepts a commit for the current epoch: new epoch, members, ratchet tree, GroupInfo and (per-device) welcomes in one step", async () => {
      const groupId = newId();
      await f.services.groups.createGroup(alice.deviceId, await createGroupBody(groupId, alice));
      const body = await commitBody(f.store, groupId, alice, [bob], [], { perDeviceWelcomes: true });
      expect(await f.services.delivery.commit(alice.deviceId, groupId, body)).toEqual({ seq: 1, epoch: 1 });
      expect(await f.services.groups.getGroup(bob.deviceId, groupId)).toEqual({
        groupId,
        epoch: 1,
        lastSeq: 1,
        memberDeviceIds: [alice.deviceId, bob.deviceId],
        adminAccountIds: [alice.accountId],
      });
      const { welcomes, messages } = await f.services.delivery.backlog(bob.deviceId);
      expect(messages).toEqual([]); // bob joins after the commit that added him
      expect(welcomes).toEqual([
        expect.objectContaining({
          groupId,
          epoch: 1,
          seq: 1,
          senderDeviceId: alice.deviceId,
          senderHandle: "alice",
          welcome: body.welcomes?.[0]?.welcome,
          ratchetTree: body.ratchetTree,
        }),
      ]);
      expect(await f.store.groupState.findGroupInfo(groupId, 1)).toBe(body.groupInfo);
      expect(await f.services.groups.getGroupInfo(bob.deviceId, groupId)).toEqual({
        groupId,
        epoch: 1,
        groupInfo: body.groupInfo,
        ratchetTree: body.ratchetTree,
      });
    });

    it("stores a commit's one `welcome` once for every device it adds and serves it to each of them", async () => {
      const groupId = newId();
      await f.services.groups.createGroup(alice.deviceId, await createGroupBody(groupId, alice));
      const body = await commitBody(f.store, groupId, alice, [bob, carol]);
      expect(await f.services.delivery.commit(alice.deviceId, groupId, body)).toEqual({ seq: 1, epoch: 1 });
      const forBob = (await f.services.delivery.backlog(bob.deviceId)).welcomes;
      const forCarol = (await f.services.delivery.backlog(carol.deviceId)).welcomes;
      for (const inbox of [forBob, forCarol]) {
        expect(inbox).toEqual([
          expect.objectContaining({
            groupId,
            epoch: 1,
            seq: 1,
            senderHandle: "alice",
            welcome: body.welcome,
            ratchetTree: body.ratchetTree,
          }),
        ]);
      }
      expect(forBob[0]?.welcomeId).not.toBe(forCarol[0]?.welcomeId);
      const welcomeEvents = f.published.filter((p) => p.message.type === "welcome").map((p) => p.channel);
      expect(welcomeEvents).toHaveLength(2);
      await f.services.delivery.ack(bob.deviceId, [], [forBob[0]!.welcomeId]);
      expect((await f.services.delivery.pendingWelcomes(bob.deviceId)).length).toBe(0);
      expect((await f.services.delivery.pendingWelcomes(carol.deviceId))[0]?.welcome).toBe(body.welcome);
    });

    it("rejects a `welcome` with a commit that adds nobody, or a shared one together with per-device welcomes", async () => {
      const groupId = await groupWith(f, alice, [bob]);
      const adding = await commitBody(f.store, groupId, alice, [carol], [], { perDeviceWelcomes: true });
      const welcome = adding.welcomes?.[0]?.welcome ?? "";
      const removing = await commitBody(f.store, groupId, alice, [], [bob]);
      const noAdds = await expectCode(
        f.services.delivery.commit(alice.deviceId, groupId, { ...removing, welcome }),
        "VOLLY_E_COMMIT_INVALID",
      );
      expect(noAdds.details).toEqual({ cause: "welcome-mismatch" });
      await expectCode(
        f.services.delivery.commit(alice.deviceId, groupId, { ...adding, welcome }),
        "VOLLY_E_BAD_REQUEST",
      );
      expect((await f.services.delivery.backlog(carol.deviceId)).welcomes).toEqual([]);
    });

    it(`refuses a commit that would take a group past ${LIMITS.maxGroupDevices} devices with VOLLY_E_GROUP_FULL`, async () => {
      const groupId = await groupWith(f, alice, [bob]); // epoch 1, 2 devices
      // The rest of the group, straight into the store: the server cannot tell them from real members.
      const others = Array.from({ length: LIMITS.maxGroupDevices - 2 }, () => newId());
      await f.store.transaction(async (tx) => {
        for (const [i, deviceId] of others.entries()) {
          const accountId = newId();
          await tx.accounts.insert({
            id: accountId,
            handle: `filler${i}`,
            entityType: "human",
            createdAt: 1,
          });
          await tx.devices.insert({
            id: deviceId,
            accountId,
            signaturePublicKey: fakeCiphertext(32),
            name: "filler",
            createdAt: 1,
          });
        }
        await tx.groups.addMembers(groupId, others, 1);
      });
      const full = await expectCode(
        f.services.delivery.commit(
          alice.deviceId,
          groupId,
          await commitBody(f.store, groupId, alice, [carol]),
        ),
        "VOLLY_E_GROUP_FULL",
      );
      expect(full.details).toEqual({ limit: LIMITS.maxGroupDevices, size: LIMITS.maxGroupDevices + 1 });
      expect((await f.services.groups.getGroup(alice.deviceId, groupId)).epoch).toBe(1);
      expect((await f.services.delivery.backlog(carol.deviceId)).welcomes).toEqual([]);
      // One out, then one in, stays within the limit.
      expect(
        await f.services.delivery.commit(
          alice.deviceId,
          groupId,
          await commitBody(f.store, groupId, alice, [], [bob]),
        ),
      ).toEqual({ seq: 2, epoch: 2 });
      expect(
        await f.services.delivery.commit(
          alice.deviceId,
          groupId,
          await commitBody(f.store, groupId, alice, [carol]),
        ),
      ).toEqual({ seq: 3, epoch: 3 });
      expect((await f.services.groups.getGroup(alice.deviceId, groupId)).memberDeviceIds).toHaveLength(
        LIMITS.maxGroupDevices,
      );
    });

    it("lets exactly one of two commits for the same epoch win; the other gets VOLLY_E_STALE_EPOCH with currentEpoch", async () => {
      const groupId = await groupWith(f, alice, [bob]);
      const [fromAlice, fromBob] = [
        await commitBody(f.store, groupId, alice),
        await commitBody(f.store, groupId, bob),
      ];
      const results = await Promise.allSettled([
        f.services.delivery.commit(alice.deviceId, groupId, fromAlice),
        f.services.delivery.commit(bob.deviceId, groupId, fromBob),
      ]);
      const won = results.filter((r) => r.status === "fulfilled");
      const lost = results.filter((r) => r.status === "rejected");
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect((won[0] as PromiseFulfilledResult<unknown>).value).toEqual({ seq: 2, epoch: 2 });
      const error = (lost[0] as PromiseRejectedResult).reason;
      expect(error.code).toBe("VOLLY_E_STALE_EPOCH");
      expect(error.details).toEqual({ currentEpoch: 2 });
      expect(await f.services.groups.getGroup(alice.deviceId, groupId)).toMatchObject({
        epoch: 2,
        lastSeq: 2,
      });
    });

    it("returns the original result when the winning commit is retried (lost response)", async () => {
      const groupId = await groupWith(f, alice, [bob]);
      const body = await commitBody(f.store, groupId, alice);
      const first = await f.services.delivery.commit(alice.deviceId, groupId, body);
      expect(await f.services.delivery.commit(alice.deviceId, groupId, body)).toEqual(first);
      expect(await f.services.groups.getGroup(alice.deviceId, groupId)).toMatchObject({
        epoch: 2,
        lastSeq: 2,
      });
    });

    it("rejects commits from non-members, to unknown groups, and adding unknown devices — writing nothing", async () => {
      const groupId = await groupWith(f, alice, [bob]);
      const rejoin = await commitBody(f.store, groupId, alice);
      await expectCode(
        f.services.delivery.commit(carol.deviceId, groupId, rejoin),
        "VOLLY_E_NOT_GROUP_MEMBER",
      );
      await expectCode(f.services.delivery.commit(alice.deviceId, newId(), rejoin), "VOLLY_E_UNKNOWN_GROUP");
      // A device the server does not know, with keys of its own.
      const unknown = { accountId: newId(), deviceId: newId(), keys: newKeys() };
      const error = await expectCode(
        f.services.delivery.commit(
          alice.deviceId,
          groupId,
          await commitBody(f.store, groupId, alice, [carol, unknown]),
        ),
        "VOLLY_E_UNKNOWN_DEVICE",
      );
      expect(error.details).toEqual({ deviceId: unknown.deviceId });
      const addCarol = await commitBody(f.store, groupId, alice, [carol], [], { perDeviceWelcomes: true });
      const mismatch = await expectCode(
        f.services.delivery.commit(alice.deviceId, groupId, { ...addCarol, addDeviceIds: [bob.deviceId] }),
        "VOLLY_E_COMMIT_INVALID",
      );
      expect(mismatch.details).toEqual({ cause: "adds-mismatch", deviceId: carol.deviceId });
      const wrongWelcome = {
        ...addCarol,
        welcomes: [{ deviceId: bob.deviceId, welcome: addCarol.welcomes?.[0]?.welcome ?? "" }],
      };
      await expectCode(
        f.services.delivery.commit(alice.deviceId, groupId, wrongWelcome),
        "VOLLY_E_BAD_REQUEST",
      );
      expect(await f.services.groups.getGroup(alice.deviceId, groupId)).toEqual({
        groupId,
        epoch: 1,
        lastSeq: 1,
        memberDeviceIds: [alice.deviceId, bob.deviceId],
        adminAccountIds: [alice.accountId],
      });
      expect((await f.services.delivery.backlog(carol.deviceId)).welcomes).toEqual([]);
    });

    it("removes members: a removed device reads the commit that removed it and nothing after", async () => {
      const groupId = await groupWith(f, alice, [bob, carol]);
      const removal = await f.services.delivery.commit(
        alice.deviceId,
        groupId,
        await commitBody(f.store, groupId, alice, [], [carol]),
      );
      await send(alice, groupId, 2);
      const { messages } = await f.services.delivery.backlog(carol.deviceId);
      expect(messages.map((m) => [m.seq, m.kind])).toEqual([[removal.seq, "commit"]]);
      await expectCode(send(carol, groupId, 2), "VOLLY_E_NOT_GROUP_MEMBER");
      expect((await f.services.groups.getGroup(alice.deviceId, groupId)).memberDeviceIds).toEqual([
        alice.deviceId,
        bob.deviceId,
      ]);
    });

    it("is idempotent by message id: same ciphertext → original seq with duplicate; other ciphertext → conflict", async () => {
      const groupId = await groupWith(f, alice, [bob]);
      const messageId = newId();
      const ciphertext = fakeCiphertext();
      expect(await send(alice, groupId, 1, messageId, ciphertext)).toEqual({ seq: 2, duplicate: false });
      expect(await send(alice, groupId, 1, messageId, ciphertext)).toEqual({ seq: 2, duplicate: true });
      await expectCode(send(alice, groupId, 1, messageId, fakeCiphertext()), "VOLLY_E_MESSAGE_ID_CONFLICT");
      expect(await send(alice, groupId, 1)).toEqual({ seq: 3, duplicate: false });
      expect((await f.services.delivery.backlog(bob.deviceId)).messages.map((m) => m.seq)).toEqual([2, 3]);
      // One notification per stored message; none for the duplicate.
      const appended = f.published.filter((p) => p.message.type === "group-appended").map((p) => p.message);
      expect(appended).toEqual([
        { type: "group-appended", groupId, seq: 1, kind: "commit" },
        { type: "group-appended", groupId, seq: 2, kind: "application" },
        { type: "group-appended", groupId, seq: 3, kind: "application" },
      ]);
    });

    it("rejects a message for an epoch the group has not reached", async () => {
      const groupId = await groupWith(f, alice, [bob]);
      const error = await expectCode(send(alice, groupId, 5), "VOLLY_E_BAD_REQUEST");
      expect(error.details).toEqual({ currentEpoch: 1 });
    });

    it("assigns gap-free, strictly increasing seqs to concurrent senders", async () => {
      const groupId = await groupWith(f, alice, [bob, carol]);
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => send([alice, bob, carol][i % 3]!, groupId)),
      );
      expect(results.map((r) => r.seq).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 30 }, (_, i) => i + 2),
      );
    });

    it("returns a backlog in seq order per group, without the device's own messages, welcomes first", async () => {
      const g1 = await groupWith(f, alice, [bob]);
      const g2 = await groupWith(f, carol, [bob]);
      await send(alice, g1);
      await send(bob, g1);
      await send(carol, g2);
      await send(alice, g1);
      const { welcomes, messages } = await f.services.delivery.backlog(bob.deviceId);
      expect(welcomes.map((w) => w.groupId).sort()).toEqual([g1, g2].sort());
      const byGroup = (g: string) => messages.filter((m) => m.groupId === g).map((m) => m.seq);
      expect(byGroup(g1)).toEqual([2, 4]);
      expect(byGroup(g2)).toEqual([2]);
      expect(messages.every((m) => m.senderDeviceId !== bob.deviceId)).toBe(true);
      expect(messages.find((m) => m.groupId === g1)).toMatchObject({
        kind: "application",
        senderHandle: "alice",
      });
    });

    it("advances cursors monotonically on ack, caps them at the log's end, and acks welcomes", async () => {
      const groupId = await groupWith(f, alice, [bob]);
      for (let i = 0; i < 3; i++) await send(alice, groupId); // seqs 2, 3, 4
      const before = await f.services.delivery.backlog(bob.deviceId);
      await f.services.delivery.ack(
        bob.deviceId,
        [{ groupId, seq: 3 }],
        before.welcomes.map((w) => w.welcomeId),
      );
      let after = await f.services.delivery.backlog(bob.deviceId);
      expect(after.welcomes).toEqual([]);
      expect(after.messages.map((m) => m.seq)).toEqual([4]);
      await f.services.delivery.ack(bob.deviceId, [{ groupId, seq: 2 }], []); // never moves back
      expect((await f.services.delivery.backlog(bob.deviceId)).messages.map((m) => m.seq)).toEqual([4]);
      await f.services.delivery.ack(bob.deviceId, [{ groupId, seq: 1000 }], []); // capped at last seq (4)
      await send(alice, groupId); // seq 5
      after = await f.services.delivery.backlog(bob.deviceId);
      expect(after.messages.map((m) => m.seq)).toEqual([5]);
      // Acks for groups the device is not in are ignored.
      await f.services.delivery.ack(carol.deviceId, [{ groupId, seq: 5 }], []);
      expect(await f.store.cursors.find(carol.deviceId, groupId)).toBeUndefined();
    });

    it("keeps the log, members, cursors and welcomes across closing and reopening the database", async () => {
      const groupId = await groupWith(f, alice, [bob]);
      await send(alice, groupId);
      await send(alice, groupId);
      await f.services.delivery.ack(bob.deviceId, [{ groupId, seq: 2 }], []);
      const expected = await f.services.delivery.backlog(bob.deviceId);
      await f.store.close();
      const reopened = await f.reopen();
      try {
        expect((await reopened.groups.find(groupId))?.lastSeq).toBe(3);
        expect(await reopened.cursors.find(bob.deviceId, groupId)).toBe(2);
        expect((await reopened.welcomes.listPending(bob.deviceId)).map((w) => w.id)).toEqual(
          expected.welcomes.map((w) => w.welcomeId),
        );
        const log = await reopened.log.readAfter(groupId, 2, { excludeSender: bob.deviceId, limit: 10 });
        expect(log.map((e) => e.seq)).toEqual(expected.messages.map((m) => m.seq));
      } finally {
        await reopened.close();
      }
    });
  }),
);
