import { newId } from "@volly/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createRetentionJob, type RetentionJob } from "../src/services/retention.js";
import { expectCode } from "./helpers/expect-code.js";
import { commitBody } from "./helpers/mls-groups.js";
import {
  fakeCiphertext,
  groupWith,
  registerDevice,
  type ServiceFixture,
  serviceFixture,
  type TestDevice,
} from "./helpers/services.js";
import { forEachBackend } from "./helpers/store-backends.js";

const MINUTE = 60 * 1000;

forEachBackend((backend) =>
  describe("retention: an entry is pruned once every device that can read it acknowledged it", () => {
    let f: ServiceFixture;
    let alice: TestDevice;
    let bob: TestDevice;
    let carol: TestDevice;
    let job: RetentionJob;
    beforeEach(async () => {
      f = await serviceFixture(backend);
      alice = await registerDevice(f.services, "alice");
      bob = await registerDevice(f.services, "bob");
      carol = await registerDevice(f.services, "carol");
      job = createRetentionJob({
        store: f.store,
        now: f.clock.now,
        retentionMs: 30 * 24 * 60 * MINUTE,
        intervalMs: MINUTE,
        graceMs: 10 * MINUTE,
        log: { info: () => {}, error: () => {} },
      });
    });
    afterEach(async () => {
      await job.stop();
      await f.close();
    });

    const send = async (d: TestDevice, groupId: string) =>
      (
        await f.services.delivery.sendMessage(d.deviceId, groupId, {
          messageId: newId(),
          epoch: 0,
          ciphertext: fakeCiphertext(),
        })
      ).seq;
    const logSeqs = async (groupId: string) =>
      (await f.store.log.readAfter(groupId, 0, { limit: 1000 })).map((e) => e.seq);
    /** What the group keeps of an epoch for verifying its next commit: its ratchet tree and GroupInfo. */
    const epochStateBytes = async (groupId: string, epoch: number) =>
      ((await f.store.groups.findTree(groupId, epoch)) ?? "").length +
      ((await f.store.groupState.findGroupInfo(groupId, epoch)) ?? "").length;

    it("a device alone in its group: its entries go at the first run past the grace period, and its quota is credited", async () => {
      const groupId = await groupWith(f, alice);
      for (let i = 0; i < 6; i++) await send(alice, groupId);
      const stored = await f.store.storage.accountBytes(alice.accountId);
      // a retry within the grace period still finds the original
      expect((await job.runOnce()).acked).toBe(0);
      f.clock.advance(10 * MINUTE);
      expect(await job.runOnce()).toMatchObject({ acked: 6, expired: 0 });
      expect(await logSeqs(groupId)).toEqual([]);
      expect(await f.store.storage.accountBytes(alice.accountId)).toBe(stored - 6 * 64);
      // nothing left to read: the next run does not visit the group
      expect(await f.store.retention.groupsToPrune("", 100)).toEqual([]);
      // the group goes on
      expect(await send(alice, groupId)).toBe(7);
      expect((await f.store.retention.groupsToPrune("", 100)).map((g) => g.id)).toEqual([groupId]);
    });

    it("two members: an entry goes only once the other device acknowledged it — the sender's own cursor does not matter", async () => {
      const groupId = await groupWith(f, alice, [bob]); // seq 1 (bob reads from seq 2)
      const addCarol = await commitBody(f.store, groupId, alice, [carol]); // posted once all is pruned
      for (let i = 0; i < 3; i++) await send(alice, groupId); // 2..4
      await send(bob, groupId); // 5
      f.clock.advance(10 * MINUTE);
      expect((await job.runOnce()).acked).toBe(1); // seq 1: no one but its sender could read it
      expect(await logSeqs(groupId)).toEqual([2, 3, 4, 5]);
      await f.services.delivery.ack(bob.deviceId, [{ groupId, seq: 3 }], []);
      expect((await job.runOnce()).acked).toBe(2);
      expect(await logSeqs(groupId)).toEqual([4, 5]);
      await f.services.delivery.ack(bob.deviceId, [{ groupId, seq: 4 }], []);
      // bob's own entry waits for alice alone
      expect((await job.runOnce()).acked).toBe(1);
      expect(await logSeqs(groupId)).toEqual([5]);
      await f.services.delivery.ack(alice.deviceId, [{ groupId, seq: 5 }], []);
      expect((await job.runOnce()).acked).toBe(1);
      expect(await logSeqs(groupId)).toEqual([]);
      // bob, reconnecting, is served nothing twice and misses nothing
      expect((await f.services.delivery.backlog(bob.deviceId)).messages).toEqual([]);
      // epoch 0's tree and GroupInfo went; epoch 1's stayed, and the next commit is verified against them
      expect(await epochStateBytes(groupId, 0)).toBe(0);
      expect(await f.services.delivery.commit(alice.deviceId, groupId, addCarol)).toEqual({
        seq: 6,
        epoch: 2,
      });
    });

    it("three members: an entry waits for every reader but its sender; a removed device keeps what it has yet to read", async () => {
      const groupId = await groupWith(f, alice, [bob, carol]); // seq 1
      await send(alice, groupId); // 2
      await send(bob, groupId); // 3
      await f.services.delivery.commit(
        alice.deviceId,
        groupId,
        await commitBody(f.store, groupId, alice, [], [carol]),
      ); // 4: carol out
      await send(alice, groupId); // 5: carol does not read it
      f.clock.advance(10 * MINUTE);
      await f.services.delivery.ack(bob.deviceId, [{ groupId, seq: 5 }], []);
      // 1 (no reader), 5 (only bob reads it); 2 and 3 wait for carol, 4 (her removal) too
      expect((await job.runOnce()).acked).toBe(2);
      expect(await logSeqs(groupId)).toEqual([2, 3, 4]);
      await f.services.delivery.ack(carol.deviceId, [{ groupId, seq: 4 }], []);
      // 3 is bob's, which alice has not acknowledged
      expect((await job.runOnce()).acked).toBe(2);
      expect(await logSeqs(groupId)).toEqual([3]);
      await f.services.delivery.ack(alice.deviceId, [{ groupId, seq: 3 }], []);
      expect((await job.runOnce()).acked).toBe(1);
      expect(await logSeqs(groupId)).toEqual([]);
    });

    it("keeps entries younger than the retention period for an absent reader, then expires them", async () => {
      const groupId = await groupWith(f, alice, [bob]);
      for (let i = 0; i < 3; i++) await send(alice, groupId);
      f.clock.advance(29 * 24 * 60 * MINUTE);
      expect(await job.runOnce()).toMatchObject({ acked: 1, expired: 0 });
      await send(alice, groupId); // seq 5, younger
      f.clock.advance(2 * 24 * 60 * MINUTE);
      expect(await job.runOnce()).toMatchObject({ acked: 0, expired: 3 });
      expect(await logSeqs(groupId)).toEqual([5]);
      // left: seq 5 and epoch 1's tree and GroupInfo (epoch 0's, and bob's expired Welcome, were credited)
      expect(await f.store.storage.groupBytes(groupId)).toBe((await epochStateBytes(groupId, 1)) + 64);
    });

    it.runIf(backend.name === "PostgreSQL")(
      "two nodes pruning at once credit every deleted byte once",
      async () => {
        const groups = await Promise.all([1, 2, 3].map(() => groupWith(f, alice)));
        for (const g of groups) for (let i = 0; i < 40; i++) await send(alice, g);
        const before = await f.store.storage.accountBytes(alice.accountId);
        f.clock.advance(10 * MINUTE);
        const other = createRetentionJob({
          store: await f.reopen(),
          now: f.clock.now,
          retentionMs: 30 * 24 * 60 * MINUTE,
          intervalMs: MINUTE,
          graceMs: 10 * MINUTE,
          batchSize: 7,
          log: { info: () => {}, error: () => {} },
        });
        const [a, b] = await Promise.all([job.runOnce(), other.runOnce()]);
        expect(a.acked + b.acked).toBe(120);
        expect(await f.store.storage.accountBytes(alice.accountId)).toBe(before - 120 * 64);
        // left: each group's epoch-0 tree and GroupInfo, which its first commit is verified against
        for (const g of groups) expect(await f.store.storage.groupBytes(g)).toBe(await epochStateBytes(g, 0));
      },
    );

    it("a retried send within the grace period is answered with its original seq", async () => {
      const groupId = await groupWith(f, alice);
      const body = { messageId: newId(), epoch: 0, ciphertext: fakeCiphertext() };
      const first = await f.services.delivery.sendMessage(alice.deviceId, groupId, body);
      f.clock.advance(9 * MINUTE);
      await job.runOnce();
      expect(await f.services.delivery.sendMessage(alice.deviceId, groupId, body)).toEqual({
        seq: first.seq,
        duplicate: true,
      });
      await expectCode(
        f.services.delivery.sendMessage(alice.deviceId, groupId, { ...body, ciphertext: fakeCiphertext() }),
        "VOLLY_E_MESSAGE_ID_CONFLICT",
      );
    });
  }),
);
