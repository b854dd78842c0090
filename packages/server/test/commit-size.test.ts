import {
  addMembers,
  createGroup,
  generateKeyPackage,
  groupInfoForExternalJoin,
  removeMembers,
} from "@volly/crypto";
import { commitSizeLimits, LIMITS, newId, toBase64Url } from "@volly/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { checkCommitSize } from "../src/services/delivery/commit-validation.js";
import { expectCode } from "./helpers/expect-code.js";
import { newKeys } from "./helpers/identity.js";
import { testSuite, toIdentity } from "./helpers/keys-crypto.js";
import { commitBody, createGroupBody } from "./helpers/mls-groups.js";
import {
  groupWith,
  registerDevice,
  type ServiceFixture,
  serviceFixture,
  type TestDevice,
} from "./helpers/services.js";
import { forEachBackend } from "./helpers/store-backends.js";

describe("commit size limits (commitSizeLimits): what the largest allowed group needs, not more", () => {
  it("real X-Wing commits of a 21-device group fit with room to spare: adding 20, then removing one", async () => {
    const suite = await testSuite();
    const device = async (i: number) =>
      generateKeyPackage(suite, toIdentity(newKeys()), {
        accountId: `account${String(i).padStart(15, "0")}`,
        deviceId: `device${String(i).padStart(16, "0")}`,
      });
    const group = await createGroup(suite, "size-test", await device(0));
    const others = await Promise.all(Array.from({ length: 20 }, (_, i) => device(i + 1)));
    const added = await addMembers(
      suite,
      group,
      others.map((o) => o.keyPackage),
    );
    const add = {
      epoch: 0,
      commit: toBase64Url(added.commit),
      addDeviceIds: others.map((_, i) => `device${String(i + 1).padStart(16, "0")}`),
      removeDeviceIds: [],
      welcome: toBase64Url(added.welcome),
      ratchetTree: toBase64Url(added.ratchetTree),
      groupInfo: toBase64Url(await groupInfoForExternalJoin(suite, added.newGroup)),
    };
    const limits = commitSizeLimits(21, 20);
    for (const field of ["commit", "welcome", "ratchetTree", "groupInfo"] as const) {
      expect(add[field].length * 1.5, field).toBeLessThan(limits[field]);
    }
    expect(checkCommitSize(add, 21)).toBeGreaterThan(0);
    // a Remove's UpdatePath encrypts to every remaining member while the tree is still sparse
    const removed = await removeMembers(suite, added.newGroup, [1]);
    const remove = {
      ...add,
      epoch: 1,
      commit: toBase64Url(removed.commit),
      addDeviceIds: [],
      removeDeviceIds: ["x"],
      welcome: undefined,
      ratchetTree: toBase64Url(removed.ratchetTree),
    };
    expect(remove.commit.length * 1.5).toBeLessThan(commitSizeLimits(20, 0).commit);
    expect(() => checkCommitSize({ ...remove, welcome: undefined }, 20)).not.toThrow();
  });

  it("the largest group's commit (999 devices added with one Welcome, docs/architecture.md) fits; a group of one gets kilobytes", () => {
    // measured: ~2.7 KB per Add, ~1.3 KB per new member in the Welcome, 1.45 KB per leaf of tree
    const big = commitSizeLimits(LIMITS.maxGroupDevices, LIMITS.maxGroupDevices - 1);
    expect(big.commit).toBeGreaterThan(2 * Math.ceil((999 * 2_750 * 4) / 3));
    expect(big.welcome).toBeGreaterThan(1.5 * Math.ceil((999 * 1_300 * 4) / 3));
    expect(big.ratchetTree).toBeGreaterThan(2 * Math.ceil((1_000 * 2_750 * 4) / 3)); // every parent node set
    const alone = commitSizeLimits(1, 0);
    expect(alone.commit + alone.ratchetTree + alone.groupInfo).toBeLessThan(128 * 1024);
  });
});

forEachBackend((backend) =>
  describe("the delivery service refuses a commit part larger than the group needs (VOLLY_E_COMMIT_TOO_LARGE)", () => {
    let f: ServiceFixture;
    let alice: TestDevice;
    let bob: TestDevice;
    beforeEach(async () => {
      f = await serviceFixture(backend);
      alice = await registerDevice(f.services, "alice");
      bob = await registerDevice(f.services, "bob");
    });
    afterEach(() => f.close());

    it("a device alone in its group cannot store megabytes per commit; at the limit it can", async () => {
      const groupId = await groupWith(f, alice);
      const created = await f.store.storage.accountBytes(alice.accountId); // its epoch-0 tree and GroupInfo
      const real = await commitBody(f.store, groupId, alice, [bob]); // the one commit she can make
      const limits = commitSizeLimits(2, 1);
      for (const field of ["commit", "ratchetTree", "groupInfo"] as const) {
        const error = await expectCode(
          f.services.delivery.commit(alice.deviceId, groupId, {
            ...real,
            [field]: "A".repeat(limits[field] + 1),
          }),
          "VOLLY_E_COMMIT_TOO_LARGE",
        );
        expect(error.details).toEqual({
          field,
          limit: limits[field],
          size: limits[field] + 1,
          groupDevices: 2,
        });
        // at the limit the size is no reason to refuse it: what refuses these bytes is the MLS check
        const atLimit = await expectCode(
          f.services.delivery.commit(alice.deviceId, groupId, {
            ...real,
            [field]: "A".repeat(limits[field]),
          }),
          "VOLLY_E_BAD_REQUEST",
        );
        expect(atLimit.details).toMatchObject({ field: field === "commit" ? "commit" : "groupInfo" });
      }
      // the probe's 15 MiB commit
      await expectCode(
        f.services.delivery.commit(alice.deviceId, groupId, { ...real, commit: "A".repeat(15 * 2 ** 20) }),
        "VOLLY_E_COMMIT_TOO_LARGE",
      );
      expect((await f.services.groups.getGroup(alice.deviceId, groupId)).epoch).toBe(0);
      expect(await f.store.storage.accountBytes(alice.accountId)).toBe(created);
      expect(await f.services.delivery.commit(alice.deviceId, groupId, real)).toEqual({ seq: 1, epoch: 1 });
      const stored =
        real.commit.length + real.ratchetTree.length + real.groupInfo.length + (real.welcome ?? "").length;
      expect(await f.store.storage.accountBytes(alice.accountId)).toBe(created + stored);
    });

    it("a new group's epoch-0 tree and GroupInfo are bounded as a group of one's, and nothing is created past it", async () => {
      const groupId = newId();
      const real = await createGroupBody(groupId, alice);
      const limits = commitSizeLimits(1, 0);
      for (const field of ["ratchetTree", "groupInfo"] as const) {
        const error = await expectCode(
          f.services.groups.createGroup(alice.deviceId, { ...real, [field]: "A".repeat(limits[field] + 1) }),
          "VOLLY_E_COMMIT_TOO_LARGE",
        );
        expect(error.details).toEqual({
          field,
          limit: limits[field],
          size: limits[field] + 1,
          groupDevices: 1,
        });
        // at the limit the size is no reason to refuse it: the GroupInfo's MLS check is
        await expectCode(
          f.services.groups.createGroup(alice.deviceId, { ...real, [field]: "A".repeat(limits[field]) }),
          "VOLLY_E_BAD_REQUEST",
        );
      }
      expect(await f.store.groups.find(groupId)).toBeUndefined();
      expect(await f.store.storage.accountBytes(alice.accountId)).toBe(0);
      await f.services.groups.createGroup(alice.deviceId, real);
      expect(await f.store.storage.accountBytes(alice.accountId)).toBe(
        real.ratchetTree.length + real.groupInfo.length,
      );
    });

    it("a Welcome is bounded by the devices the commit adds (shared or per device)", async () => {
      const groupId = await groupWith(f, alice);
      const limit = commitSizeLimits(2, 1).welcome;
      const real = await commitBody(f.store, groupId, alice, [bob]);
      const shared = { ...real, welcome: "W".repeat(limit + 1) };
      const error = await expectCode(
        f.services.delivery.commit(alice.deviceId, groupId, shared),
        "VOLLY_E_COMMIT_TOO_LARGE",
      );
      expect(error.details).toMatchObject({ field: "welcome", limit, groupDevices: 2 });
      await expectCode(
        f.services.delivery.commit(alice.deviceId, groupId, {
          ...real,
          welcome: undefined,
          welcomes: [{ deviceId: bob.deviceId, welcome: "W".repeat(limit + 1) }],
        }),
        "VOLLY_E_COMMIT_TOO_LARGE",
      );
      // at the limit the size is no reason to refuse it (the Welcome's MLS check is)
      const atLimit = await expectCode(
        f.services.delivery.commit(alice.deviceId, groupId, { ...real, welcome: "W".repeat(limit) }),
        "VOLLY_E_BAD_REQUEST",
      );
      expect(atLimit.details).toMatchObject({ field: "welcome" });
      expect(await f.services.delivery.commit(alice.deviceId, groupId, real)).toMatchObject({ epoch: 1 });
    });
  }),
);
