import { DEFAULT_CIPHERSUITE } from "@volly/crypto";
import { newId, VollyError } from "@volly/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ServiceContext } from "../src/services/context.js";
import { createCommitInspector } from "../src/services/delivery/commit-inspector.js";
import { createDeliveryService, type DeliveryService } from "../src/services/delivery/delivery-service.js";
import { adminPolicy } from "../src/services/groups/admin-policy.js";
import { createGroupService, type GroupService } from "../src/services/groups/group-service.js";
import { createMembershipPolicies } from "../src/services/groups/membership-policies.js";
import type { MembershipPolicy } from "../src/services/groups/membership-policy.js";
import { createTypingService, type TypingService } from "../src/services/typing.js";
import { expectCode } from "./helpers/expect-code.js";
import { testSuite } from "./helpers/keys-crypto.js";
import { commitBody, createGroupBody } from "./helpers/mls-groups.js";
import {
  fakeCiphertext,
  registerDevice,
  type ServiceFixture,
  serviceFixture,
  type TestDevice,
} from "./helpers/services.js";

/** One question a service asked the group's policy. */
type Asked = [method: string, deviceId: string, groupId: string, extra?: unknown];

/**
 * The seam a new kind of group (a community channel) plugs into: every membership decision of the
 * group, delivery and typing services is the group's policy's, and a policy's refusal writes nothing.
 */
describe("MembershipPolicy: services ask the group's policy", () => {
  let f: ServiceFixture;
  let alice: TestDevice;
  let bob: TestDevice;
  let carol: TestDevice;
  let asked: Asked[];
  let overrides: { -readonly [K in keyof MembershipPolicy]?: MembershipPolicy[K] };
  let groups: GroupService;
  let delivery: DeliveryService;
  let typing: TypingService;

  beforeEach(async () => {
    f = await serviceFixture();
    [alice, bob, carol] = [
      await registerDevice(f.services),
      await registerDevice(f.services),
      await registerDevice(f.services),
    ];
    asked = [];
    overrides = {};
    // The admin rules, recording each question and letting a test replace one answer.
    const recording: MembershipPolicy = {
      name: "admin",
      get maxDevices() {
        return overrides.maxDevices ?? adminPolicy.maxDevices;
      },
      externalJoin: false,
      authorizeView: (deviceId, group, tx) => {
        asked.push(["view", deviceId, group.id]);
        return (overrides.authorizeView ?? adminPolicy.authorizeView)(deviceId, group, tx);
      },
      authorizeSend: (deviceId, group, tx) => {
        asked.push(["send", deviceId, group.id]);
        return (overrides.authorizeSend ?? adminPolicy.authorizeSend)(deviceId, group, tx);
      },
      authorizeCommit: (change, tx) => {
        const { addDeviceIds, removeDeviceIds } = change;
        asked.push(["commit", change.committerDeviceId, change.group.id, { addDeviceIds, removeDeviceIds }]);
        return (overrides.authorizeCommit ?? adminPolicy.authorizeCommit)(change, tx);
      },
      authorizeAdminGrant: (grant, tx) => {
        asked.push(["grant", grant.granterDeviceId, grant.group.id, grant.accountId]);
        return (overrides.authorizeAdminGrant ?? adminPolicy.authorizeAdminGrant)(grant, tx);
      },
    };
    const context: ServiceContext = { store: f.store, bus: f.bus, now: f.clock.now };
    const policies = {
      ...createMembershipPolicies(f.clock.now),
      admin: recording as MembershipPolicy & { readonly name: "admin" },
    };
    const inspector = createCommitInspector({ suite: testSuite, ciphersuite: DEFAULT_CIPHERSUITE });
    groups = createGroupService(context, policies, inspector);
    delivery = createDeliveryService(context, policies, inspector);
    typing = createTypingService(context, policies);
  });
  afterEach(() => f.close());

  const send = (d: TestDevice, groupId: string) =>
    delivery.sendMessage(d.deviceId, groupId, { messageId: newId(), epoch: 1, ciphertext: fakeCiphertext() });
  const refuse = () => {
    throw new VollyError("VOLLY_E_NOT_GROUP_ADMIN", "refused by the test policy");
  };

  it("asks it whether a device may see, commit, send, type and grant admin, with the change a commit declares", async () => {
    const groupId = newId();
    await groups.createGroup(alice.deviceId, await createGroupBody(groupId, alice));
    await delivery.commit(alice.deviceId, groupId, await commitBody(f.store, groupId, alice, [bob]));
    await send(bob, groupId);
    await typing.start(bob, groupId);
    await groups.getGroup(bob.deviceId, groupId);
    await groups.getGroupInfo(bob.deviceId, groupId);
    await groups.grantAdmin(alice.deviceId, groupId, bob.accountId);
    expect(asked).toEqual([
      ["view", alice.deviceId, groupId], // before the epoch check (and the commit's verification)
      ["view", alice.deviceId, groupId], // again with the group's row locked
      ["commit", alice.deviceId, groupId, { addDeviceIds: [bob.deviceId], removeDeviceIds: [] }],
      ["send", bob.deviceId, groupId],
      ["send", bob.deviceId, groupId], // typing needs what sending needs
      ["view", bob.deviceId, groupId],
      ["view", bob.deviceId, groupId],
      ["view", alice.deviceId, groupId],
      ["grant", alice.deviceId, groupId, bob.accountId],
    ]);
  });

  it("writes nothing when the policy refuses a send, a commit or an admin grant", async () => {
    const groupId = newId();
    await groups.createGroup(alice.deviceId, await createGroupBody(groupId, alice));
    await delivery.commit(alice.deviceId, groupId, await commitBody(f.store, groupId, alice, [bob]));
    const before = await groups.getGroup(alice.deviceId, groupId);

    overrides.authorizeSend = refuse;
    await expectCode(send(bob, groupId), "VOLLY_E_NOT_GROUP_ADMIN");
    await expectCode(typing.start(bob, groupId), "VOLLY_E_NOT_GROUP_ADMIN");
    overrides.authorizeCommit = refuse;
    await expectCode(
      delivery.commit(alice.deviceId, groupId, await commitBody(f.store, groupId, alice, [carol])),
      "VOLLY_E_NOT_GROUP_ADMIN",
    );
    overrides.authorizeAdminGrant = refuse;
    await expectCode(groups.grantAdmin(alice.deviceId, groupId, bob.accountId), "VOLLY_E_NOT_GROUP_ADMIN");

    // The refused send's seq allocation rolled back, the commit left the epoch, nobody became admin.
    expect(await groups.getGroup(alice.deviceId, groupId)).toEqual(before);
    expect((await delivery.backlog(carol.deviceId)).welcomes).toEqual([]);
    expect(f.published.filter((p) => p.message.type === "typing")).toEqual([]);
  });

  it("holds a group to its policy's device limit", async () => {
    const groupId = newId();
    await groups.createGroup(alice.deviceId, await createGroupBody(groupId, alice));
    overrides.maxDevices = 2;
    const full = delivery.commit(
      alice.deviceId,
      groupId,
      await commitBody(f.store, groupId, alice, [bob, carol]),
    );
    await expect(full).rejects.toMatchObject({ code: "VOLLY_E_GROUP_FULL", details: { limit: 2, size: 3 } });
    expect(
      await delivery.commit(alice.deviceId, groupId, await commitBody(f.store, groupId, alice, [bob])),
    ).toEqual({
      seq: 1,
      epoch: 1,
    });
  });
});
