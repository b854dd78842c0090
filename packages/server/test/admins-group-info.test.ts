import { newId } from "@volly/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createRetentionJob } from "../src/services/retention.js";
import { expectCode } from "./helpers/expect-code.js";
import { newKeys } from "./helpers/identity.js";
import { commitBody, createGroupBody, rememberDevice } from "./helpers/mls-groups.js";
import {
  fakeCiphertext,
  groupWith,
  registerDevice,
  type ServiceFixture,
  serviceFixture,
  type TestDevice,
} from "./helpers/services.js";
import { forEachBackend } from "./helpers/store-backends.js";

const DAY = 24 * 60 * 60 * 1000;

forEachBackend((backend) =>
  describe("group admins, GroupInfo for resync (RFC 9420 §12.4.3.2) and retention", () => {
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

    const send = (d: TestDevice, groupId: string, epoch: number) =>
      f.services.delivery.sendMessage(d.deviceId, groupId, {
        messageId: newId(),
        epoch,
        ciphertext: fakeCiphertext(),
      });
    const logSeqs = async (groupId: string) =>
      (await f.store.log.readAfter(groupId, 0, { limit: 1000 })).map((e) => e.seq);

    it("makes the creator's account admin; a non-admin cannot add or remove another account's devices", async () => {
      const groupId = await groupWith(f, alice, [bob]);
      expect((await f.services.groups.getGroup(bob.deviceId, groupId)).adminAccountIds).toEqual([
        alice.accountId,
      ]);
      const before = await f.services.groups.getGroup(alice.deviceId, groupId);
      await expectCode(
        f.services.delivery.commit(bob.deviceId, groupId, await commitBody(f.store, groupId, bob, [carol])),
        "VOLLY_E_NOT_GROUP_ADMIN",
      );
      await expectCode(
        f.services.delivery.commit(
          bob.deviceId,
          groupId,
          await commitBody(f.store, groupId, bob, [], [alice]),
        ),
        "VOLLY_E_NOT_GROUP_ADMIN",
      );
      // nothing was written: same epoch, seq, members, and carol has no Welcome
      expect(await f.services.groups.getGroup(alice.deviceId, groupId)).toEqual(before);
      expect((await f.services.delivery.backlog(carol.deviceId)).welcomes).toEqual([]);
      // the admin may
      expect(
        await f.services.delivery.commit(
          alice.deviceId,
          groupId,
          await commitBody(f.store, groupId, alice, [carol]),
        ),
      ).toEqual({ seq: 2, epoch: 2 });
    });

    it("lets any member add and remove its own account's devices and commit the Remove of a departed device", async () => {
      const groupId = await groupWith(f, alice, [bob, carol]);
      const bobLaptop = { accountId: bob.accountId, deviceId: newId(), keys: newKeys() };
      await f.store.devices.insert({
        id: bobLaptop.deviceId,
        accountId: bob.accountId,
        signaturePublicKey: bobLaptop.keys.publicKeyB64,
        name: "bob's laptop",
        createdAt: 1,
      });
      rememberDevice(bobLaptop);
      // bob (not admin) adds and removes his own account's device
      expect(
        await f.services.delivery.commit(
          bob.deviceId,
          groupId,
          await commitBody(f.store, groupId, bob, [bobLaptop]),
        ),
      ).toMatchObject({
        epoch: 2,
      });
      expect(
        await f.services.delivery.commit(
          bob.deviceId,
          groupId,
          await commitBody(f.store, groupId, bob, [], [bobLaptop]),
        ),
      ).toMatchObject({ epoch: 3 });
      // bob commits carol's Remove after her departure
      await f.services.delivery.leave(carol.deviceId, groupId);
      expect(
        await f.services.delivery.commit(
          bob.deviceId,
          groupId,
          await commitBody(f.store, groupId, bob, [], [carol]),
        ),
      ).toMatchObject({ epoch: 4 });
    });

    it("grants admin: admins only, to an account with a member device; then that account may add others", async () => {
      const groupId = await groupWith(f, alice, [bob]);
      await expectCode(
        f.services.groups.grantAdmin(bob.deviceId, groupId, bob.accountId),
        "VOLLY_E_NOT_GROUP_ADMIN",
      );
      await expectCode(
        f.services.groups.grantAdmin(alice.deviceId, groupId, carol.accountId),
        "VOLLY_E_BAD_REQUEST",
      );
      const granted = await f.services.groups.grantAdmin(alice.deviceId, groupId, bob.accountId);
      expect(granted.adminAccountIds).toEqual([alice.accountId, bob.accountId].sort());
      await f.services.delivery.commit(
        bob.deviceId,
        groupId,
        await commitBody(f.store, groupId, bob, [carol]),
      );
      expect((await f.services.groups.getGroup(carol.deviceId, groupId)).memberDeviceIds).toContain(
        carol.deviceId,
      );
    });

    it("keeps the latest epoch's GroupInfo and tree for members; none stored (a group from before) is VOLLY_E_UNKNOWN_GROUP", async () => {
      const groupId = newId();
      const created = await createGroupBody(groupId, alice);
      await f.services.groups.createGroup(alice.deviceId, created);
      expect((await f.services.groups.getGroupInfo(alice.deviceId, groupId)).groupInfo).toBe(
        created.groupInfo,
      );
      const body = await commitBody(f.store, groupId, alice, [bob]);
      await f.services.delivery.commit(alice.deviceId, groupId, body);
      expect(await f.services.groups.getGroupInfo(bob.deviceId, groupId)).toEqual({
        groupId,
        epoch: 1,
        groupInfo: body.groupInfo,
        ratchetTree: body.ratchetTree,
      });
      await expectCode(f.services.groups.getGroupInfo(carol.deviceId, groupId), "VOLLY_E_NOT_GROUP_MEMBER");
      // an external commit replacing bob's own leaf: same route, epoch check, no adds or removes
      const resync = await commitBody(f.store, groupId, bob);
      expect(await f.services.delivery.commit(bob.deviceId, groupId, resync)).toMatchObject({ epoch: 2 });
      await expectCode(
        f.services.delivery.commit(alice.deviceId, groupId, { ...resync, epoch: 1 }),
        "VOLLY_E_STALE_EPOCH",
      );
      // A group created before groups were created with their state has none to serve.
      const legacy = newId();
      await f.store.groups.insert({
        id: legacy,
        epoch: 0,
        lastSeq: 0,
        createdAt: 1,
        membershipPolicy: "admin",
      });
      await f.store.groups.addMembers(legacy, [alice.deviceId], 0);
      await expectCode(f.services.groups.getGroupInfo(alice.deviceId, legacy), "VOLLY_E_UNKNOWN_GROUP");
      expect((await f.services.groups.getGroupInfo(alice.deviceId, groupId)).groupInfo).toBe(
        resync.groupInfo,
      );
    });

    it("prunes what every member acknowledged, keeps the rest until the retention period, then prunes it", async () => {
      const lines: object[] = [];
      const job = createRetentionJob({
        store: f.store,
        now: f.clock.now,
        retentionMs: 30 * DAY,
        intervalMs: 60_000,
        graceMs: 0,
        log: { info: (fields) => lines.push(fields), error: () => {} },
      });
      const groupId = await groupWith(f, alice, [bob]); // seq 1: commit
      await f.services.delivery.commit(alice.deviceId, groupId, await commitBody(f.store, groupId, alice));
      for (let i = 0; i < 3; i++) await send(alice, groupId, 2); // seqs 3..5
      // bob acked up to 4; alice (the sender) has acked what she received
      await f.services.delivery.ack(bob.deviceId, [{ groupId, seq: 4 }], []);
      await f.services.delivery.ack(alice.deviceId, [{ groupId, seq: 5 }], []);
      const welcome = (await f.services.delivery.backlog(bob.deviceId)).welcomes[0]!;
      await f.services.delivery.ack(bob.deviceId, [], [welcome.welcomeId]);
      const counts = await job.runOnce();
      expect(counts).toMatchObject({ acked: 4, expired: 0, welcomes: 1 });
      expect(counts.epochs).toBeGreaterThanOrEqual(1);
      expect(await logSeqs(groupId)).toEqual([5]);
      expect(lines).toEqual([expect.objectContaining({ acked: 4, expired: 0, welcomes: 1 })]);
      // the latest tree and GroupInfo stay
      expect((await f.services.groups.getGroupInfo(bob.deviceId, groupId)).epoch).toBe(2);
      // bob, behind, is still served from the oldest remaining entry
      expect((await f.services.delivery.backlog(bob.deviceId)).messages.map((m) => m.seq)).toEqual([5]);

      f.clock.advance(29 * DAY);
      expect((await job.runOnce()).expired).toBe(0);
      expect(await logSeqs(groupId)).toEqual([5]);
      f.clock.advance(2 * DAY);
      expect((await job.runOnce()).expired).toBe(1);
      expect(await logSeqs(groupId)).toEqual([]);
      expect((await f.services.delivery.backlog(bob.deviceId)).messages).toEqual([]);
      // the group goes on: the current epoch's tree and GroupInfo were kept, so commits still verify
      expect((await send(alice, groupId, 2)).seq).toBe(6);
      expect(
        await f.services.delivery.commit(bob.deviceId, groupId, await commitBody(f.store, groupId, bob)),
      ).toEqual({ seq: 7, epoch: 3 });
      await job.stop();
    });

    it("keeps entries a removed device has not read yet, and expires unacknowledged Welcomes", async () => {
      const job = createRetentionJob({
        store: f.store,
        now: f.clock.now,
        retentionMs: DAY,
        intervalMs: 60_000,
        graceMs: 0,
        log: { info: () => {}, error: () => {} },
      });
      const groupId = await groupWith(f, alice, [bob, carol]); // seq 1
      await send(alice, groupId, 1); // seq 2
      await f.services.delivery.commit(
        alice.deviceId,
        groupId,
        await commitBody(f.store, groupId, alice, [], [carol]),
      ); // seq 3
      await f.services.delivery.ack(bob.deviceId, [{ groupId, seq: 3 }], []);
      await f.services.delivery.ack(alice.deviceId, [{ groupId, seq: 3 }], []);
      expect((await job.runOnce()).acked).toBe(1); // carol (removed at 3) has read nothing yet
      expect((await f.services.delivery.backlog(carol.deviceId)).messages.map((m) => m.seq)).toEqual([2, 3]);
      f.clock.advance(2 * DAY);
      const counts = await job.runOnce();
      expect(counts.expired).toBe(2);
      expect(counts.welcomes).toBe(2); // bob's and carol's unacknowledged Welcomes expired
    });
  }),
);
