import { createInvite, fingerprint } from "@volly/crypto";
import { type ClaimReason, newId } from "@volly/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expectCode } from "./helpers/expect-code.js";
import { newKeys, type TestKeys } from "./helpers/identity.js";
import { keyPackageFor } from "./helpers/keys-crypto.js";
import {
  groupWith,
  registerDevice,
  type ServiceFixture,
  serviceFixture,
  type TestDevice,
} from "./helpers/services.js";
import { forEachBackend } from "./helpers/store-backends.js";

const HOUR = 60 * 60 * 1000;

/** The token of an invite link signed with `keys` for `handle` (as `volly invite` makes it). */
function inviteToken(handle: string, keys: TestKeys, expiresAt: number, fingerprintOf = keys): string {
  const link = createInvite(
    {
      v: 1,
      server: "http://127.0.0.1:7777",
      handle,
      fingerprint: fingerprint(fingerprintOf.publicKey),
      expiresAt,
    },
    keys.secretKey,
  );
  return link.slice("volly://invite/".length);
}

forEachBackend((backend) => {
  describe("a key package claim needs a reason the server can check", () => {
    let f: ServiceFixture;
    let alice: TestDevice;
    let bob: TestDevice;
    let carol: TestDevice;
    beforeEach(async () => {
      f = await serviceFixture(backend);
      alice = await registerDevice(f.services, "alice");
      bob = await registerDevice(f.services, "bob");
      carol = await registerDevice(f.services, "carol");
      for (const d of [alice, bob, carol]) {
        const [one, last] = await Promise.all(
          [1, 2].map(() => keyPackageFor(d.keys, d.accountId, d.deviceId)),
        );
        await f.services.keyPackages.upload(d.deviceId, { keyPackages: [one!], lastResort: last! });
      }
    });
    afterEach(() => f.close());

    const claim = (claimer: TestDevice, targets: TestDevice[], reason: ClaimReason) =>
      f.services.keyPackages.claim(claimer, { deviceIds: targets.map((t) => t.deviceId), reason });
    const available = async (d: TestDevice) => (await f.services.keyPackages.count(d.deviceId)).available;

    it("conversation: only for accounts in a group the claimer is in", async () => {
      const groupId = await groupWith(f, alice, [bob]);
      const ok = await claim(alice, [bob], { type: "conversation", groupId });
      expect(ok.keyPackages).toMatchObject([{ deviceId: bob.deviceId, lastResort: false }]);

      const notThere = await expectCode(
        claim(alice, [carol], { type: "conversation", groupId }),
        "VOLLY_E_CLAIM_REASON_INVALID",
      );
      expect(notThere.details).toEqual({ reason: "conversation", deviceId: carol.deviceId });
      const outsider = await expectCode(
        claim(carol, [bob], { type: "conversation", groupId }),
        "VOLLY_E_CLAIM_REASON_INVALID",
      );
      expect(outsider.details).toEqual({ reason: "conversation" });
      expect(await available(carol)).toBe(1);
    });

    it("invite: only with an unexpired invite the target account signed, verified with its stored key", async () => {
      const token = inviteToken("bob", bob.keys, f.clock.now() + HOUR);
      const ok = await claim(alice, [bob], { type: "invite", invite: token });
      expect(ok.keyPackages).toMatchObject([{ deviceId: bob.deviceId, lastResort: false }]);

      // bob's invite does not cover carol's devices
      const other = await expectCode(
        claim(alice, [carol], { type: "invite", invite: token }),
        "VOLLY_E_CLAIM_REASON_INVALID",
      );
      expect(other.details).toEqual({ reason: "invite", deviceId: carol.deviceId });
      // an invite "from bob" signed by a key the server does not have for bob
      const stranger = newKeys();
      await expectCode(
        claim(alice, [bob], { type: "invite", invite: inviteToken("bob", stranger, f.clock.now() + HOUR) }),
        "VOLLY_E_INVITE_INVALID",
      );
      // bob's fingerprint, someone else's signature
      await expectCode(
        claim(alice, [bob], {
          type: "invite",
          invite: inviteToken("bob", stranger, f.clock.now() + HOUR, bob.keys),
        }),
        "VOLLY_E_INVITE_INVALID",
      );
      await expectCode(
        claim(alice, [bob], { type: "invite", invite: inviteToken("bob", bob.keys, f.clock.now() - 1) }),
        "VOLLY_E_INVITE_EXPIRED",
      );
      expect(await available(bob)).toBe(0); // only the first claim took one
      expect(await available(carol)).toBe(1);
    });

    it("group-add: the claimer is in the group, or no group has that id yet", async () => {
      const groupId = await groupWith(f, alice);
      expect((await claim(alice, [carol], { type: "group-add", groupId })).keyPackages).toHaveLength(1);
      const notMember = await expectCode(
        claim(bob, [carol], { type: "group-add", groupId }),
        "VOLLY_E_CLAIM_REASON_INVALID",
      );
      expect(notMember.details).toEqual({ reason: "group-add" });
      // a group about to be created
      const fresh = await claim(bob, [alice, carol], { type: "group-add", groupId: newId() });
      expect(fresh.keyPackages.map((k) => k.deviceId)).toEqual([alice.deviceId, carol.deviceId]);
    });

    it("first-contact: the devices of one other account only; the claimer's own devices always", async () => {
      await expectCode(claim(alice, [bob, carol], { type: "first-contact" }), "VOLLY_E_CLAIM_REASON_INVALID");
      expect(await available(bob)).toBe(1);
      // alice's own devices go with any reason, e.g. for a group of her own
      const own = await claim(alice, [alice, bob], { type: "first-contact" });
      expect(own.keyPackages.map((k) => k.deviceId)).toEqual([alice.deviceId, bob.deviceId]);
      const groupId = await groupWith(f, carol);
      await expectCode(
        claim(alice, [alice], { type: "conversation", groupId }),
        "VOLLY_E_CLAIM_REASON_INVALID",
      );
    });
  });
});
