import { LIMITS, signingInput } from "@volly/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { hashToken } from "../src/services/auth.js";
import { expectCode } from "./helpers/expect-code.js";
import { newKeys, registrationBody, signB64 } from "./helpers/identity.js";
import { login, registerDevice, type ServiceFixture, serviceFixture } from "./helpers/services.js";
import { forEachBackend } from "./helpers/store-backends.js";

forEachBackend((backend) => {
  describe("authentication service: accounts and devices", () => {
    let f: ServiceFixture;
    beforeEach(async () => {
      f = await serviceFixture(backend);
    });
    afterEach(() => f.close());

    it("registers an account with its first device and lists it in the directory", async () => {
      const device = await registerDevice(f.services, "alice");
      const account = await f.services.accounts.getAccount("alice");
      expect(account).toMatchObject({ accountId: device.accountId, handle: "alice", entityType: "human" });
      expect(account.devices).toEqual([
        expect.objectContaining({ deviceId: device.deviceId, signaturePublicKey: device.keys.publicKeyB64 }),
      ]);
      expect(await f.services.accounts.getDevice(device.deviceId)).toEqual({
        deviceId: device.deviceId,
        accountId: device.accountId,
        handle: "alice",
        entityType: "human",
        signaturePublicKey: device.keys.publicKeyB64,
      });
    });

    it("rejects a taken handle with VOLLY_E_HANDLE_TAKEN", async () => {
      await registerDevice(f.services, "alice");
      await expectCode(
        f.services.accounts.register(registrationBody("alice", newKeys())),
        "VOLLY_E_HANDLE_TAKEN",
      );
    });

    it("rejects a key that is already registered with VOLLY_E_KEY_TAKEN", async () => {
      const alice = await registerDevice(f.services, "alice");
      await expectCode(
        f.services.accounts.register(registrationBody("alice2", alice.keys)),
        "VOLLY_E_KEY_TAKEN",
      );
    });

    it("rejects a registration signed by another key and writes nothing", async () => {
      const keys = newKeys();
      const body = {
        ...registrationBody("mallory", keys),
        signature: signB64(newKeys(), signingInput.register("mallory", keys.publicKeyB64)),
      };
      await expectCode(f.services.accounts.register(body), "VOLLY_E_BAD_SIGNATURE");
      await expectCode(f.services.accounts.getAccount("mallory"), "VOLLY_E_UNKNOWN_HANDLE");
      expect(await f.store.devices.findBySignatureKey(keys.publicKeyB64)).toBeUndefined();
    });

    it("rejects a signature over another handle (no replay of a registration proof)", async () => {
      const keys = newKeys();
      const body = { ...registrationBody("eve", keys), signature: registrationBody("alice", keys).signature };
      await expectCode(f.services.accounts.register(body), "VOLLY_E_BAD_SIGNATURE");
    });

    it("answers unknown handles and devices with VOLLY_E_UNKNOWN_HANDLE / VOLLY_E_UNKNOWN_DEVICE", async () => {
      await expectCode(f.services.accounts.getAccount("nobody"), "VOLLY_E_UNKNOWN_HANDLE");
      await expectCode(f.services.accounts.getDevice("x".repeat(22)), "VOLLY_E_UNKNOWN_DEVICE");
    });
  });

  describe("authentication service: signed nonce sessions", () => {
    let f: ServiceFixture;
    beforeEach(async () => {
      f = await serviceFixture(backend);
    });
    afterEach(() => f.close());

    it("exchanges a signed nonce for a 43-char bearer token that authenticates the device", async () => {
      const device = await registerDevice(f.services, "alice");
      const { nonce, expiresAt } = await f.services.auth.challenge(device.deviceId);
      expect(expiresAt).toBe(f.clock.now() + LIMITS.nonceTtlMs);
      const session = await f.services.auth.createSession({
        deviceId: device.deviceId,
        nonce,
        signature: signB64(device.keys, signingInput.session(nonce)),
      });
      expect(session.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(session).toMatchObject({ accountId: device.accountId, deviceId: device.deviceId });
      expect(await f.services.auth.authenticate(session.token)).toEqual({
        accountId: device.accountId,
        deviceId: device.deviceId,
        handle: "alice",
        entityType: "human",
      });
    });

    it("stores only the SHA-256 of the token", async () => {
      const device = await registerDevice(f.services);
      const token = await login(f.services, device);
      expect(await f.store.auth.findSession(token, f.clock.now())).toBeUndefined();
      expect(await f.store.auth.findSession(hashToken(token), f.clock.now())).toMatchObject({
        deviceId: device.deviceId,
      });
    });

    it("rejects a replayed nonce with VOLLY_E_NONCE_INVALID", async () => {
      const device = await registerDevice(f.services);
      const { nonce } = await f.services.auth.challenge(device.deviceId);
      const body = {
        deviceId: device.deviceId,
        nonce,
        signature: signB64(device.keys, signingInput.session(nonce)),
      };
      await f.services.auth.createSession(body);
      await expectCode(f.services.auth.createSession(body), "VOLLY_E_NONCE_INVALID");
    });

    it("rejects an expired nonce, a made-up nonce and another device's nonce", async () => {
      const alice = await registerDevice(f.services);
      const bob = await registerDevice(f.services);
      const sign = (d: typeof alice, nonce: string) => ({
        deviceId: d.deviceId,
        nonce,
        signature: signB64(d.keys, signingInput.session(nonce)),
      });
      const { nonce: bobs } = await f.services.auth.challenge(bob.deviceId);
      await expectCode(f.services.auth.createSession(sign(alice, bobs)), "VOLLY_E_NONCE_INVALID");
      await expectCode(f.services.auth.createSession(sign(alice, "n".repeat(22))), "VOLLY_E_NONCE_INVALID");
      const { nonce } = await f.services.auth.challenge(alice.deviceId);
      f.clock.advance(LIMITS.nonceTtlMs + 1);
      await expectCode(f.services.auth.createSession(sign(alice, nonce)), "VOLLY_E_NONCE_INVALID");
    });

    it("rejects a nonce signed with the wrong key with VOLLY_E_BAD_SIGNATURE and keeps the nonce usable", async () => {
      const device = await registerDevice(f.services);
      const { nonce } = await f.services.auth.challenge(device.deviceId);
      await expectCode(
        f.services.auth.createSession({
          deviceId: device.deviceId,
          nonce,
          signature: signB64(newKeys(), signingInput.session(nonce)),
        }),
        "VOLLY_E_BAD_SIGNATURE",
      );
      await expect(
        f.services.auth.createSession({
          deviceId: device.deviceId,
          nonce,
          signature: signB64(device.keys, signingInput.session(nonce)),
        }),
      ).resolves.toMatchObject({ deviceId: device.deviceId });
    });

    it("does not accept an identify signature as a session signature (context labels differ)", async () => {
      const device = await registerDevice(f.services);
      const { nonce } = await f.services.auth.challenge(device.deviceId);
      await expectCode(
        f.services.auth.createSession({
          deviceId: device.deviceId,
          nonce,
          signature: signB64(device.keys, signingInput.identify(nonce)),
        }),
        "VOLLY_E_BAD_SIGNATURE",
      );
    });

    it("rejects an expired token with VOLLY_E_NOT_AUTHENTICATED", async () => {
      const device = await registerDevice(f.services);
      const token = await login(f.services, device);
      f.clock.advance(LIMITS.sessionTtlMs - 1);
      await expect(f.services.auth.authenticate(token)).resolves.toMatchObject({ deviceId: device.deviceId });
      f.clock.advance(1);
      await expectCode(f.services.auth.authenticate(token), "VOLLY_E_NOT_AUTHENTICATED");
      await expectCode(f.services.auth.authenticate("x".repeat(43)), "VOLLY_E_NOT_AUTHENTICATED");
    });

    it("issues challenges only for known devices", async () => {
      await expectCode(f.services.auth.challenge("x".repeat(22)), "VOLLY_E_UNKNOWN_DEVICE");
    });
  });
});
