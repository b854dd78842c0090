import { newId } from "@volly/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createInProcessBus } from "../src/bus/in-process-bus.js";
import { createRetentionJob } from "../src/services/retention.js";
import { DEFAULT_SERVICE_LIMITS, type ServiceLimits } from "../src/services/service-limits.js";
import { createServices, type Services } from "../src/services/services.js";
import { expectCode } from "./helpers/expect-code.js";
import { commitBody, createGroupBody } from "./helpers/mls-groups.js";
import {
  groupWith,
  registerDevice,
  type ServiceFixture,
  serviceFixture,
  type TestDevice,
} from "./helpers/services.js";
import { forEachBackend } from "./helpers/store-backends.js";

/** 2,000 base64url characters: what one message below stores. */
const MESSAGE = "M".repeat(2_000);
/** Room for real MLS state: a group's epoch-0 tree and GroupInfo, and a commit adding one device. */
const LIMITS: ServiceLimits = { ...DEFAULT_SERVICE_LIMITS, accountBytes: 50_000, groupBytes: 40_000 };

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
    /** What the server keeps of a group's epoch: its ratchet tree and GroupInfo (characters). */
    const epochStateBytes = async (groupId: string, epoch: number) =>
      ((await f.store.groups.findTree(groupId, epoch)) ?? "").length +
      ((await f.store.groupState.findGroupInfo(groupId, epoch)) ?? "").length;
    /** One message that brings `d`'s usage (its account's, or the group's) to `left` below `limit`. */
    const fill = async (
      d: TestDevice,
      groupId: string,
      scope: "account" | "group",
      limit: number,
      left: number,
    ) => {
      const used = (await usage(d, groupId))[scope] ?? 0;
      return send(d, groupId, f.services, "F".repeat(limit - left - used));
    };

    it("an account alone in its groups fills its group's quota, then its own; the refused send stores nothing", async () => {
      const one = await groupWith(f, alice);
      // creating a group charges its epoch-0 tree and GroupInfo to the group and to the creator
      const created = await epochStateBytes(one, 0);
      expect(created).toBeGreaterThan(0);
      expect(await usage(alice, one)).toEqual({ account: created, group: created });
      const two = await groupWith(f, alice);
      await fill(alice, one, "group", LIMITS.groupBytes, 6_000);
      for (let i = 0; i < 3; i++) await send(alice, one);
      const group = await expectCode(send(alice, one), "VOLLY_E_QUOTA_EXCEEDED");
      expect(group.details).toEqual({
        scope: "group",
        limit: LIMITS.groupBytes,
        used: LIMITS.groupBytes,
        size: 2_000,
      });
      await fill(alice, two, "account", LIMITS.accountBytes, 4_000);
      await send(alice, two);
      await send(alice, two);
      const account = await expectCode(send(alice, two), "VOLLY_E_QUOTA_EXCEEDED");
      expect(account.details).toEqual({
        scope: "account",
        limit: LIMITS.accountBytes,
        used: LIMITS.accountBytes,
        size: 2_000,
      });
      // nothing of the refused sends was kept: no seq used, no bytes counted
      expect((await f.services.groups.getGroup(alice.deviceId, one)).lastSeq).toBe(4);
      expect((await f.services.groups.getGroup(alice.deviceId, two)).lastSeq).toBe(3);
      expect(await usage(alice, two)).toEqual({
        account: LIMITS.accountBytes,
        group: LIMITS.accountBytes - LIMITS.groupBytes,
      });
      // nor can the account create a group now: its epoch-0 state would not fit
      const three = newId();
      const refused = await expectCode(
        f.services.groups.createGroup(alice.deviceId, await createGroupBody(three, alice)),
        "VOLLY_E_QUOTA_EXCEEDED",
      );
      expect(refused.details).toMatchObject({ scope: "account", used: LIMITS.accountBytes });
      expect(await f.store.groups.find(three)).toBeUndefined();
      expect(await usage(alice)).toEqual({ account: LIMITS.accountBytes });
      // another account still writes to its own groups
      const theirs = await groupWith(f, bob);
      expect((await send(bob, theirs)).seq).toBe(1);
    });

    it("a commit's commit, Welcome, tree and GroupInfo count; a commit that adds devices is held to the group quota, one that removes is not", async () => {
      const groupId = await groupWith(f, alice);
      const created = await epochStateBytes(groupId, 0);
      const body = await commitBody(f.store, groupId, alice, [bob]);
      await f.services.delivery.commit(alice.deviceId, groupId, body);
      const stored =
        body.commit.length + body.ratchetTree.length + body.groupInfo.length + (body.welcome ?? "").length;
      expect(await usage(alice, groupId)).toEqual({ account: created + stored, group: created + stored });
      // bob fills the group
      await fill(bob, groupId, "group", LIMITS.groupBytes, 0);
      const carol = await registerDevice(f.services, "carol");
      const add = await expectCode(
        f.services.delivery.commit(
          alice.deviceId,
          groupId,
          await commitBody(f.store, groupId, alice, [carol]),
        ),
        "VOLLY_E_QUOTA_EXCEEDED",
      );
      expect(add.details).toMatchObject({
        scope: "group",
        limit: LIMITS.groupBytes,
        used: LIMITS.groupBytes,
      });
      await expectCode(send(alice, groupId, f.services, "A"), "VOLLY_E_QUOTA_EXCEEDED");
      // removing bob still works (the way out of a full group)
      expect(
        await f.services.delivery.commit(
          alice.deviceId,
          groupId,
          await commitBody(f.store, groupId, alice, [], [bob]),
        ),
      ).toMatchObject({ epoch: 2 });
    });

    it("pruning credits the bytes back: entries no one else reads at once, bob's once he acknowledged them", async () => {
      const groupId = await groupWith(f, alice, [bob]); // seq 1: alice's commit adding bob
      const { account: afterCommit } = await usage(alice);
      const commit = (await f.store.log.findCommitAt(groupId, 0))?.payload.length ?? 0;
      const [epoch0, epoch1] = [await epochStateBytes(groupId, 0), await epochStateBytes(groupId, 1)];
      const other = await groupWith(f, alice); // alice alone
      const created = await epochStateBytes(other, 0);
      await fill(alice, other, "account", LIMITS.accountBytes, 8_000);
      for (let i = 0; i < 3; i++) await send(alice, other);
      await send(alice, groupId); // seq 2: bob has not read it
      await expectCode(send(alice, groupId), "VOLLY_E_QUOTA_EXCEEDED");
      expect(await usage(alice)).toEqual({ account: LIMITS.accountBytes });

      const job = createRetentionJob({
        store: f.store,
        now: f.clock.now,
        retentionMs: 30 * 24 * 60 * 60 * 1000,
        intervalMs: 60_000,
        graceMs: 0,
        log: { info: () => {}, error: () => {} },
      });
      // alice's filler and 3 messages to herself and her commit at seq 1 (bob reads from seq 2 on);
      // the group's epoch-0 tree and GroupInfo too, now that it is at epoch 1
      expect(await job.runOnce()).toMatchObject({ acked: 5, welcomes: 0, epochs: 2 });
      expect(await usage(alice, other)).toEqual({
        account: afterCommit - commit - epoch0 + created + 2_000,
        group: created,
      });
      expect((await send(alice, groupId)).seq).toBe(3);
      expect((await job.runOnce()).acked).toBe(0); // bob has read nothing yet
      await f.services.delivery.ack(bob.deviceId, [{ groupId, seq: 3 }], []);
      const welcome = (await f.services.delivery.backlog(bob.deviceId)).welcomes[0]!;
      await f.services.delivery.ack(bob.deviceId, [], [welcome.welcomeId]);
      expect(await job.runOnce()).toMatchObject({ acked: 2, welcomes: 1 });
      // left: each group's current epoch's tree and GroupInfo, which joiners, a resync and the next
      // commit's verification need
      expect(await usage(alice, groupId)).toEqual({ account: epoch1 + created, group: epoch1 });
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
        const groups = [await groupWith(f, alice), await groupWith(f, alice)];
        // alice's account: filled up to 10,000 below its quota (through a node without group quotas)
        const used = (await usage(alice)).account;
        await send(alice, groups[0]!, nodeA, "F".repeat(LIMITS.accountBytes - 10_000 - used));
        const results = await Promise.allSettled(
          Array.from({ length: 24 }, (_, i) => send(alice, groups[i % 2]!, i % 3 ? peer : nodeA)),
        );
        expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(5);
        let stored = 0;
        for (const g of groups) {
          stored += await epochStateBytes(g, 0);
          for (const e of await f.store.log.readAfter(g, 0, { limit: 100 })) stored += e.payload.length;
        }
        expect(stored).toBe(LIMITS.accountBytes);
        expect(await f.store.storage.accountBytes(alice.accountId)).toBe(LIMITS.accountBytes);
      },
    );
  }),
);
