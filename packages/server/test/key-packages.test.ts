import { generateKeyPackage, loadSuite } from "@volly/crypto";
import { toBase64Url } from "@volly/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expectCode } from "./helpers/expect-code.js";
import { newKeys } from "./helpers/identity.js";
import { keyPackageFor, toIdentity } from "./helpers/keys-crypto.js";
import { registerDevice, type ServiceFixture, serviceFixture, type TestDevice } from "./helpers/services.js";
import { forEachBackend } from "./helpers/store-backends.js";

forEachBackend((backend) => {
  describe("key package directory (RFC 9420 §10)", () => {
    let f: ServiceFixture;
    let bob: TestDevice;
    let alice: TestDevice;
    beforeEach(async () => {
      f = await serviceFixture(backend);
      alice = await registerDevice(f.services, "alice");
      bob = await registerDevice(f.services, "bob");
    });
    afterEach(() => f.close());

    const packagesOf = (d: TestDevice, n: number) =>
      Promise.all(Array.from({ length: n }, () => keyPackageFor(d.keys, d.accountId, d.deviceId)));
    /** `claimer` claims packages of `deviceIds` for a first contact (the reason any account may give). */
    const claim = (claimer: TestDevice, deviceIds: string[]) =>
      f.services.keyPackages.claim(claimer, { deviceIds, reason: { type: "first-contact" } });

    it("stores uploaded one-time packages and a last-resort package and counts them", async () => {
      const [one, two, last] = await packagesOf(bob, 3);
      expect(await f.services.keyPackages.count(bob.deviceId)).toEqual({
        available: 0,
        hasLastResort: false,
      });
      const counted = await f.services.keyPackages.upload(bob.deviceId, {
        keyPackages: [one!, two!],
        lastResort: last!,
      });
      expect(counted).toEqual({ available: 2, hasLastResort: true });
      // Re-uploading the same package does not create a second copy.
      expect(await f.services.keyPackages.upload(bob.deviceId, { keyPackages: [one!] })).toEqual({
        available: 2,
        hasLastResort: true,
      });
    });

    it("never hands out a one-time package twice, then falls back to the last-resort one", async () => {
      const [one, two, last] = await packagesOf(bob, 3);
      await f.services.keyPackages.upload(bob.deviceId, { keyPackages: [one!, two!], lastResort: last! });
      const claims = await Promise.all([claim(alice, [bob.deviceId]), claim(alice, [bob.deviceId])]);
      const handedOut = claims.map((c) => c.keyPackages[0]!);
      expect(handedOut.every((k) => !k.lastResort)).toBe(true);
      expect(new Set(handedOut.map((k) => k.keyPackage))).toEqual(new Set([one, two]));
      expect(await f.services.keyPackages.count(bob.deviceId)).toEqual({ available: 0, hasLastResort: true });

      for (let i = 0; i < 2; i++) {
        const fallback = await claim(alice, [bob.deviceId]);
        expect(fallback.keyPackages).toEqual([
          { deviceId: bob.deviceId, keyPackage: last, lastResort: true },
        ]);
      }
    });

    it("replaces the previous last-resort package", async () => {
      const [first, second] = await packagesOf(bob, 2);
      await f.services.keyPackages.upload(bob.deviceId, { keyPackages: [], lastResort: first! });
      await f.services.keyPackages.upload(bob.deviceId, { keyPackages: [], lastResort: second! });
      const claimed = await claim(alice, [bob.deviceId]);
      expect(claimed.keyPackages[0]).toMatchObject({ keyPackage: second, lastResort: true });
    });

    it("claims all or nothing: one device without packages fails the claim and consumes nothing", async () => {
      const [one] = await packagesOf(bob, 1);
      await f.services.keyPackages.upload(bob.deviceId, { keyPackages: [one!] });
      const error = await expectCode(claim(bob, [bob.deviceId, alice.deviceId]), "VOLLY_E_NO_KEY_PACKAGE");
      expect(error.details).toEqual({ deviceId: alice.deviceId });
      expect(await f.services.keyPackages.count(bob.deviceId)).toEqual({
        available: 1,
        hasLastResort: false,
      });
      await expectCode(claim(bob, ["u".repeat(22)]), "VOLLY_E_UNKNOWN_DEVICE");
    });

    it("rejects a package signed by another device's key with VOLLY_E_KEY_PACKAGE_FOREIGN", async () => {
      const foreignKey = await keyPackageFor(newKeys(), bob.accountId, bob.deviceId);
      await expectCode(
        f.services.keyPackages.upload(bob.deviceId, { keyPackages: [foreignKey] }),
        "VOLLY_E_KEY_PACKAGE_FOREIGN",
      );
      // Right key, but the credential names another device.
      const foreignCredential = await keyPackageFor(bob.keys, alice.accountId, alice.deviceId);
      await expectCode(
        f.services.keyPackages.upload(bob.deviceId, { keyPackages: [], lastResort: foreignCredential }),
        "VOLLY_E_KEY_PACKAGE_FOREIGN",
      );
      expect(await f.services.keyPackages.count(bob.deviceId)).toEqual({
        available: 0,
        hasLastResort: false,
      });
    });

    it("rejects a package of another ciphersuite with VOLLY_E_KEY_PACKAGE_INVALID", async () => {
      const x25519 = await loadSuite("MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519");
      const other = await generateKeyPackage(x25519, toIdentity(bob.keys), {
        accountId: bob.accountId,
        deviceId: bob.deviceId,
      });
      await expectCode(
        f.services.keyPackages.upload(bob.deviceId, { keyPackages: [toBase64Url(other.keyPackage)] }),
        "VOLLY_E_KEY_PACKAGE_INVALID",
      );
    });

    it("rejects garbage with VOLLY_E_KEY_PACKAGE_INVALID and stores none of the batch", async () => {
      const [good] = await packagesOf(bob, 1);
      await expectCode(
        f.services.keyPackages.upload(bob.deviceId, { keyPackages: [good!, "AAAAAAAAAAAA"] }),
        "VOLLY_E_KEY_PACKAGE_INVALID",
      );
      expect(await f.services.keyPackages.count(bob.deviceId)).toEqual({
        available: 0,
        hasLastResort: false,
      });
    });
  });
});
