import { newId } from "@volly/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createInProcessBus } from "../src/bus/in-process-bus.js";
import { createRetentionJob } from "../src/services/retention.js";
import { DEFAULT_SERVICE_LIMITS, type ServiceLimits } from "../src/services/service-limits.js";
import { createServices, type Services } from "../src/services/services.js";
import { expectCode } from "./helpers/expect-code.js";
import {
  commitBody,
  groupWith,
  registerDevice,
  type ServiceFixture,
  serviceFixture,
  type TestDevice,
} from "./helpers/services.js";
import { forEachBackend } from "./helpers/store-backends.js";

/** 2,000 base64url characters: what one message below stores. */
const MESSAGE = "M".repeat(2_000);
const LIMITS: ServiceLimits = { ...DEFAULT_SERVICE_LIMITS, accountBytes: 10_000, groupBytes: 6_000 };

forEachBackend((backend) =>
  describe("storage quotas per account and per group (VOLLY_E_QUOTA_EXCEEDED)", () => {
    let f: ServiceFixture;
    let alice: TestDevice;
    let bob: TestDevice;
    beforeEach(async () => {
      f = await serviceFixture(backend, LIMITS);
      alice = await registerDevice(f.services, "alice");
      bob = await registerDevice(f.services, "bob");
    });
    afterEach(() => f.close());

    const send = (d: TestDevice, groupId: string, services: Services = f.services, ciphertext = MESSAGE) =>
      services.delivery.sendMessage(d.deviceId, groupId, { messageId: newId(), epoch: 0, ciphertext });
    const usage = async (d: TestDevice, groupId?: string) => ({
      account: await f.store.storage.accountBytes(d.accountId),
      ...(groupId ? { group: await f.store.storage.groupBytes(groupId) } : {}),
    });

    it("an account alone in its groups fills its group's quota, then its own; the refused send stores nothing", async () => {
      const [one, two] = [await groupWith(f.services, alice), await groupWith(f.services, alice)];
      for (let i = 0; i < 3; i++) await send(alice, one);
      const group = await expectCode(send(alice, one), "VOLLY_E_QUOTA_EXCEEDED");
      expect(group.details).toEqual({ scope: "group", limit: 6_000, used: 6_000, size: 2_000 });
      await send(alice, two);
      await send(alice, two);
      const account = await expectCode(send(alice, two), "VOLLY_E_QUOTA_EXCEEDED");
      expect(account.details).toEqual({ scope: "account", limit: 10_000, used: 10_000, size: 2_000 });
      // nothing of the refused sends was kept: no seq used, no bytes counted
      expect((await f.services.groups.getGroup(alice.deviceId, one)).lastSeq).toBe(3);
      expect((await f.services.groups.getGroup(alice.deviceId, two)).lastSeq).toBe(2);
      expect(await usage(alice, two)).toEqual({ account: 10_000, group: 4_000 });
      // another account still writes to its own groups
      const theirs = await groupWith(f.services, bob);
      expect((await send(bob, theirs)).seq).toBe(1);
    });

    it("a commit's commit, Welcome, tree and GroupInfo count; a commit that adds devices is held to the group quota, one that removes is not", async () => {
      const groupId = await groupWith(f.services, alice);
      const body = { ...commitBody(0, [bob.deviceId]), groupInfo: "G".repeat(100) };
      await f.services.delivery.commit(alice.deviceId, groupId, body);
      const stored = body.commit.length + body.ratchetTree.length + 100 + body.welcomes[0]!.welcome.length;
      expect(await usage(alice, groupId)).toEqual({ account: stored, group: stored });
      // bob fills the group
      await send(bob, groupId, f.services, "B".repeat(6_000 - stored));
      const carol = await registerDevice(f.services, "carol");
      const add = await expectCode(
        f.services.delivery.commit(alice.deviceId, groupId, commitBody(1, [carol.deviceId])),
        "VOLLY_E_QUOTA_EXCEEDED",
      );
      expect(add.details).toMatchObject({ scope: "group", limit: 6_000, used: 6_000 });
      await expectCode(send(alice, groupId, f.services, "A"), "VOLLY_E_QUOTA_EXCEEDED");
      // removing bob still works (the way out of a full group)
      expect(
        await f.services.delivery.commit(alice.deviceId, groupId, commitBody(1, [], [bob.deviceId])),
      ).toMatchObject({ epoch: 2 });
    });

    it("pruning credits the bytes back: entries no one else reads at once, bob's once he acknowledged them", async () => {
      const groupId = await groupWith(f.services, alice, [bob]); // seq 1: alice's commit adding bob
      const tree = (await f.store.groups.findTree(groupId, 1)) ?? "";
      const { account: afterCommit } = await usage(alice);
      const other = await groupWith(f.services, alice); // alice alone
      for (let i = 0; i < 3; i++) await send(alice, other);
      await send(alice, groupId); // seq 2: bob has not read it
      await expectCode(send(alice, groupId), "VOLLY_E_QUOTA_EXCEEDED");
      expect(await usage(alice)).toEqual({ account: afterCommit + 8_000 });

      const job = createRetentionJob({
        store: f.store,
        now: f.clock.now,
        retentionMs: 30 * 24 * 60 * 60 * 1000,
        intervalMs: 60_000,
        graceMs: 0,
        log: { info: () => {}, error: () => {} },
      });
      // alice's 3 messages to herself and her commit at seq 1 (bob reads from seq 2 on)
      expect(await job.runOnce()).toMatchObject({ acked: 4, welcomes: 0 });
      const commitPayload = afterCommit - tree.length - 64; // minus the tree and bob's Welcome
      expect(await usage(alice, other)).toEqual({ account: afterCommit - commitPayload + 2_000, group: 0 });
      expect((await send(alice, groupId)).seq).toBe(3);
      expect((await job.runOnce()).acked).toBe(0); // bob has read nothing yet
      await f.services.delivery.ack(bob.deviceId, [{ groupId, seq: 3 }], []);
      const welcome = (await f.services.delivery.backlog(bob.deviceId)).welcomes[0]!;
      await f.services.delivery.ack(bob.deviceId, [], [welcome.welcomeId]);
      expect(await job.runOnce()).toMatchObject({ acked: 2, welcomes: 1 });
      // left: the current epoch's ratchet tree, which joiners and a resync need
      expect(await usage(alice, groupId)).toEqual({ account: tree.length, group: tree.length });
      await job.stop();
    });

    it.runIf(backend.name === "PostgreSQL")(
      "sends racing on two nodes cannot overshoot the account quota, and the counter matches what is stored",
      async () => {
        const peer: Services = createServices(
          { store: await f.reopen(), bus: createInProcessBus(), now: f.clock.now },
          "MLS_256_XWING_AES256GCM_SHA512_Ed25519",
          { ...LIMITS, groupBytes: 0 },
        );
        const nodeA = createServices(
          { store: f.store, bus: createInProcessBus(), now: f.clock.now },
          "MLS_256_XWING_AES256GCM_SHA512_Ed25519",
          { ...LIMITS, groupBytes: 0 },
        );
        const groups = [await groupWith(f.services, alice), await groupWith(f.services, alice)];
        const results = await Promise.allSettled(
          Array.from({ length: 24 }, (_, i) => send(alice, groups[i % 2]!, i % 3 ? peer : nodeA)),
        );
        expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(5);
        let stored = 0;
        for (const g of groups) {
          for (const e of await f.store.log.readAfter(g, 0, { limit: 100 })) stored += e.payload.length;
        }
        expect(stored).toBe(10_000);
        expect(await f.store.storage.accountBytes(alice.accountId)).toBe(10_000);
      },
    );
  }),
);
