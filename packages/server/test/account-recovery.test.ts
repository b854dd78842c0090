import { signingInput } from "@volly/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RECOVERY_BACKOFF, recoveryRetryDelayMs } from "../src/services/account-recovery.js";
import { expectCode } from "./helpers/expect-code.js";
import { newKeys, signB64, type TestKeys } from "./helpers/identity.js";
import {
  groupWith,
  registerDevice,
  type ServiceFixture,
  serviceFixture,
  type TestDevice,
} from "./helpers/services.js";
import { forEachBackend } from "./helpers/store-backends.js";

forEachBackend((backend) => {
  describe("account recovery (services)", () => {
    let f: ServiceFixture;
    let alice: TestDevice;
    let recovery: TestKeys;
    const auth = (d: TestDevice) => ({
      accountId: d.accountId,
      deviceId: d.deviceId,
      handle: d.handle,
      entityType: d.entityType,
    });

    beforeEach(async () => {
      f = await serviceFixture(backend);
      alice = await registerDevice(f.services, "alice");
      recovery = newKeys();
      await f.services.recovery.setKey(auth(alice), {
        recoveryPublicKey: recovery.publicKeyB64,
        signature: signB64(recovery, signingInput.recoveryKey(alice.accountId, recovery.publicKeyB64)),
      });
    });
    afterEach(async () => {
      await f.close();
    });

    /** A restore body for a fresh device key, signed by `by` as the recovery key. */
    async function attempt(by: TestKeys) {
      const { nonce } = await f.services.recovery.challenge("alice");
      const device = newKeys();
      const input = signingInput.recover(alice.accountId, nonce, device.publicKeyB64);
      return {
        handle: "alice",
        nonce,
        device: { signaturePublicKey: device.publicKeyB64, name: "restored" },
        recoverySignature: signB64(by, input),
        deviceSignature: signB64(device, input),
      };
    }

    it("a key registration needs a signature by the recovery key; a backup needs a key", async () => {
      const bob = await registerDevice(f.services, "bob");
      const other = newKeys();
      await expectCode(
        f.services.recovery.setKey(auth(bob), {
          recoveryPublicKey: other.publicKeyB64,
          signature: signB64(newKeys(), signingInput.recoveryKey(bob.accountId, other.publicKeyB64)),
        }),
        "VOLLY_E_BAD_SIGNATURE",
      );
      await expectCode(f.services.recovery.putBackup(auth(bob), "AAAA"), "VOLLY_E_RECOVERY_FAILED");
      await expectCode(f.services.recovery.getBackup(auth(alice)), "VOLLY_E_NO_BACKUP");
      expect((await f.services.recovery.putBackup(auth(alice), "c2VhbGVk")).backupUpdatedAt).toEqual(
        expect.any(Number),
      );
      expect((await f.services.recovery.getBackup(auth(alice))).backup).toBe("c2VhbGVk");
      await expectCode(f.services.recovery.challenge("bob"), "VOLLY_E_RECOVERY_FAILED");
    });

    it("restores: registers the new device, revokes the old ones, grants rejoining their groups once", async () => {
      const bob = await registerDevice(f.services, "bob");
      const groupId = await groupWith(f, alice, [bob]);
      const restored = await f.services.recovery.recover(await attempt(recovery));
      expect(restored).toMatchObject({
        accountId: alice.accountId,
        handle: "alice",
        revokedDeviceIds: [alice.deviceId],
      });
      const account = await f.services.accounts.getAccount("alice");
      expect(account.devices.map((d) => d.deviceId)).toEqual([restored.deviceId]);
      const caller = {
        accountId: alice.accountId,
        deviceId: restored.deviceId,
        handle: "alice",
        entityType: "human" as const,
      };
      expect(await f.services.recovery.rejoins(caller)).toEqual({ groupIds: [groupId] });
      // The restored device may read the group's GroupInfo to join it by external commit.
      expect(await f.store.accountRecovery.hasRejoin(restored.deviceId, groupId)).toBe(true);
    });

    it("a wrong key is refused with VOLLY_E_RECOVERY_FAILED, the nonce is single use, failures slow down", async () => {
      const wrong = newKeys();
      const body = await attempt(wrong);
      await expectCode(f.services.recovery.recover(body), "VOLLY_E_RECOVERY_FAILED");
      // The nonce was used up by the failed attempt: the right signature over it fails too.
      const replay = {
        ...body,
        recoverySignature: signB64(
          recovery,
          signingInput.recover(alice.accountId, body.nonce, body.device.signaturePublicKey),
        ),
      };
      await expectCode(f.services.recovery.recover(replay), "VOLLY_E_RECOVERY_FAILED");
      for (let i = 2; i < RECOVERY_BACKOFF.freeFailures; i++) {
        await expectCode(f.services.recovery.recover(await attempt(wrong)), "VOLLY_E_RECOVERY_FAILED");
      }
      const limited = await expectCode(f.services.recovery.challenge("alice"), "VOLLY_E_RATE_LIMITED");
      expect(limited.details?.retryAfterMs).toBe(recoveryRetryDelayMs(RECOVERY_BACKOFF.freeFailures));
      f.clock.advance(recoveryRetryDelayMs(RECOVERY_BACKOFF.freeFailures));
      const restored = await f.services.recovery.recover(await attempt(recovery));
      expect(restored.revokedDeviceIds).toEqual([alice.deviceId]);
      expect((await f.store.accountRecovery.get(alice.accountId))?.failures).toBe(0);
    });
  });
});

describe("recovery back-off", () => {
  it("is free for 5 failures, then doubles from a minute, at most a day", () => {
    expect([0, 4].map(recoveryRetryDelayMs)).toEqual([0, 0]);
    expect([5, 6, 7].map(recoveryRetryDelayMs)).toEqual([60_000, 120_000, 240_000]);
    expect(recoveryRetryDelayMs(40)).toBe(24 * 60 * 60 * 1000);
  });
});
