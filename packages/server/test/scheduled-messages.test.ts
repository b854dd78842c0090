import { newId } from "@volly/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createReleaseJob } from "../src/services/scheduled/release-job.js";
import { expectCode } from "./helpers/expect-code.js";
import {
  fakeCiphertext,
  groupWith,
  registerDevice,
  type ServiceFixture,
  serviceFixture,
  type TestDevice,
} from "./helpers/services.js";
import { forEachBackend } from "./helpers/store-backends.js";

const quietLog = { info() {}, error() {} };

forEachBackend((backend) => {
  describe("scheduled messages: held as ciphertext, released once at their time", () => {
    let f: ServiceFixture;
    let alice: TestDevice;
    let bob: TestDevice;
    let mallory: TestDevice;
    let groupId: string;
    beforeEach(async () => {
      f = await serviceFixture(backend);
      alice = await registerDevice(f.services, "alice");
      bob = await registerDevice(f.services, "bob");
      mallory = await registerDevice(f.services, "mallory");
      groupId = await groupWith(f, alice, [bob]);
    });
    afterEach(() => f.close());

    const schedule = (d: TestDevice, inMs: number, messageId = newId()) =>
      f.services.scheduled.create(d, {
        groupId,
        messageId,
        epoch: 1,
        ciphertext: fakeCiphertext(),
        releaseAt: f.clock.now() + inMs,
      });
    const job = () =>
      createReleaseJob({
        store: f.store,
        delivery: f.services.delivery,
        now: f.clock.now,
        intervalMs: 1000,
        log: quietLog,
      });
    const logIds = async (d: TestDevice) =>
      (await f.services.delivery.backlog(d.deviceId)).messages.flatMap((m) =>
        m.kind === "application" ? [m.messageId] : [],
      );

    it("is listed to its account only, goes out at its time through the send path, and only once", async () => {
      const held = await schedule(alice, 60_000);
      expect((await f.services.scheduled.list(alice)).map((s) => s.messageId)).toEqual([held.messageId]);
      expect(await f.services.scheduled.list(mallory)).toEqual([]);
      expect(await job().runOnce()).toBe(0);
      expect(await logIds(bob)).toEqual([]);
      f.clock.advance(60_000);
      // two nodes' jobs race for it: exactly one appends
      const [a, b] = await Promise.all([job().runOnce(), job().runOnce()]);
      expect(a + b).toBe(1);
      expect(await logIds(bob)).toEqual([held.messageId]);
      expect(await f.services.scheduled.list(alice)).toEqual([]);
      expect(await job().runOnce()).toBe(0);
    });

    it("a claim left by a node that died is taken over after the lease, and the log does not duplicate it", async () => {
      const held = await schedule(alice, 1_000);
      f.clock.advance(1_000);
      // the dead node: claimed, appended, died before deleting the row
      expect(await f.store.scheduled.claim(held.messageId, f.clock.now(), 0)).toBe(true);
      const record = await f.store.scheduled.get(held.messageId);
      await f.services.delivery.sendMessage(alice.deviceId, groupId, {
        messageId: held.messageId,
        epoch: 1,
        ciphertext: record?.ciphertext ?? "",
      });
      expect(await job().runOnce()).toBe(0);
      f.clock.advance(61_000);
      expect(await job().runOnce()).toBe(1);
      expect(await logIds(bob)).toEqual([held.messageId]);
      expect(await f.store.scheduled.get(held.messageId)).toBeUndefined();
    });

    it("cancel and replace are the account's only and end when it is released", async () => {
      const held = await schedule(alice, 5_000);
      await expectCode(f.services.scheduled.cancel(mallory, held.messageId), "VOLLY_E_UNKNOWN_SCHEDULED");
      await expectCode(
        f.services.scheduled.replace(mallory, held.messageId, { epoch: 1, ciphertext: fakeCiphertext() }),
        "VOLLY_E_UNKNOWN_SCHEDULED",
      );
      const ciphertext = fakeCiphertext(60);
      const replaced = await f.services.scheduled.replace(alice, held.messageId, { epoch: 1, ciphertext });
      expect(replaced.messageId).toBe(held.messageId);
      expect((await f.store.scheduled.get(held.messageId))?.ciphertext).toBe(ciphertext);
      expect(await f.services.scheduled.cancel(alice, held.messageId)).toEqual({ messageId: held.messageId });
      f.clock.advance(5_000);
      expect(await job().runOnce()).toBe(0);
      expect(await logIds(bob)).toEqual([]);
      await expectCode(f.services.scheduled.cancel(alice, held.messageId), "VOLLY_E_UNKNOWN_SCHEDULED");
    });

    it("refuses a time in the past, a non-member and a taken id; a release refused later is kept as a failure", async () => {
      await expectCode(schedule(alice, -1), "VOLLY_E_BAD_REQUEST");
      await expectCode(schedule(mallory, 1_000), "VOLLY_E_NOT_GROUP_MEMBER");
      const held = await schedule(bob, 1_000);
      await expectCode(schedule(alice, 1_000, held.messageId), "VOLLY_E_MESSAGE_ID_CONFLICT");
      await f.services.delivery.leave(bob.deviceId, groupId);
      f.clock.advance(1_000);
      expect(await job().runOnce()).toBe(0);
      expect(await f.services.scheduled.list(bob)).toMatchObject([
        { messageId: held.messageId, failure: "VOLLY_E_NOT_GROUP_MEMBER" },
      ]);
      expect(await logIds(alice)).toEqual([]);
    });
  });
});
