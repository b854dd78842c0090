import { type CreatedApiKey, signingInput } from "@volly/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { requireScope } from "../src/services/api-keys/grants.js";
import type { AuthContext } from "../src/services/context.js";
import { expectCode } from "./helpers/expect-code.js";
import { signB64 } from "./helpers/identity.js";
import {
  login,
  registerDevice,
  type ServiceFixture,
  serviceFixture,
  type TestDevice,
} from "./helpers/services.js";
import { forEachBackend } from "./helpers/store-backends.js";

forEachBackend((backend) => {
  describe("API keys: create, list, revoke, rotate; sessions with a key carry its scopes", () => {
    let f: ServiceFixture;
    let bot: TestDevice;
    let owner: AuthContext;

    /** A REST session of `device` made with `apiKey` (or signature-only), resolved to its context. */
    const session = async (device: TestDevice, apiKey?: string): Promise<AuthContext> => {
      const { nonce } = await f.services.auth.challenge(device.deviceId);
      const { token } = await f.services.auth.createSession({
        deviceId: device.deviceId,
        nonce,
        signature: signB64(device.keys, signingInput.session(nonce)),
        ...(apiKey !== undefined ? { apiKey } : {}),
      });
      return f.services.auth.authenticate(token);
    };

    beforeEach(async () => {
      f = await serviceFixture(backend);
      bot = await registerDevice(f.services, "echobot");
      owner = await f.services.auth.authenticate(await login(f.services, bot));
    });
    afterEach(() => f.close());

    it("creates a typed, checksummed key shown once and stored only as its SHA-256", async () => {
      const created = await f.services.apiKeys.create(owner, { name: "ci", scopes: ["send", "read"] });
      expect(created.key).toMatch(/^vly_[0-9A-Za-z]{38}$/);
      expect(created.info).toMatchObject({
        name: "ci",
        scopes: ["send", "read"],
        hint: created.key.slice(0, 8),
      });
      const { keys } = await f.services.apiKeys.list(owner);
      expect(keys.map((k) => k.id)).toEqual([created.info.id]);
      expect(JSON.stringify(keys)).not.toContain(created.key);
      const other = await f.services.auth.authenticate(
        await login(f.services, await registerDevice(f.services)),
      );
      expect((await f.services.apiKeys.list(other)).keys).toEqual([]);
    });

    it("a session made with a read-only key cannot send or manage (403 VOLLY_E_API_KEY_SCOPE)", async () => {
      const { key } = await f.services.apiKeys.create(owner, { name: "reader", scopes: ["read"] });
      const reader = await session(bot, key);
      expect(reader.apiKey?.scopes).toEqual(["read"]);
      await expectCode(
        f.services.apiKeys.create(reader, { name: "x", scopes: ["send"] }),
        "VOLLY_E_API_KEY_SCOPE",
      );
      expect(() => requireScope(reader.apiKey, "send")).toThrow(/send/);
      expect(() => requireScope(reader.apiKey, "read")).not.toThrow();
    });

    it("refuses malformed, foreign, revoked and expired keys; a bound device needs a key", async () => {
      const created: CreatedApiKey = await f.services.apiKeys.create(owner, {
        name: "short",
        scopes: ["send", "read", "manage"],
        expiresAt: f.clock.now() + 60_000,
      });
      const flipped = `${created.key.slice(0, -1)}${created.key.endsWith("0") ? "1" : "0"}`;
      await expectCode(session(bot, flipped), "VOLLY_E_API_KEY_INVALID");
      const stranger = await registerDevice(f.services);
      await expectCode(session(stranger, created.key), "VOLLY_E_API_KEY_INVALID");

      const withKey = await session(bot, created.key);
      expect(withKey.apiKey?.id).toBe(created.info.id);
      // Bound now: its signature alone no longer gets it a session or a gateway identity.
      await expectCode(login(f.services, bot), "VOLLY_E_API_KEY_REQUIRED");

      f.clock.advance(60_001);
      await expectCode(session(bot, created.key), "VOLLY_E_API_KEY_EXPIRED");

      const second = await f.services.apiKeys.create(owner, { name: "b", scopes: ["read"] });
      await session(bot, second.key);
      await f.services.apiKeys.revoke(owner, second.info.id);
      await expectCode(session(bot, second.key), "VOLLY_E_API_KEY_REVOKED");
      expect(
        (await f.services.apiKeys.list(owner)).keys.find((k) => k.id === second.info.id)?.revokedAt,
      ).toBeDefined();
    });

    it("revocation ends the key's open sessions", async () => {
      const { key, info } = await f.services.apiKeys.create(owner, { name: "k", scopes: ["read"] });
      const { nonce } = await f.services.auth.challenge(bot.deviceId);
      const { token } = await f.services.auth.createSession({
        deviceId: bot.deviceId,
        nonce,
        signature: signB64(bot.keys, signingInput.session(nonce)),
        apiKey: key,
      });
      await f.services.auth.authenticate(token);
      await f.services.apiKeys.revoke(owner, info.id);
      await expectCode(f.services.auth.authenticate(token), "VOLLY_E_NOT_AUTHENTICATED");
      expect(f.published.some((p) => p.message.type === "api-key-changed")).toBe(true);
    });

    it("rotation: the old key works until the overlap ends, then is refused; the new one goes on", async () => {
      const a = await f.services.apiKeys.create(owner, { name: "rot", scopes: ["send", "read", "manage"] });
      const onA = await session(bot, a.key);
      const b = await f.services.apiKeys.rotate(onA, a.info.id, 3_600_000);
      expect(b.info).toMatchObject({ name: "rot", scopes: ["send", "read", "manage"] });
      await expectCode(f.services.apiKeys.rotate(owner, a.info.id, 1), "VOLLY_E_API_KEY_ROTATED");
      f.clock.advance(3_599_000);
      expect((await session(bot, a.key)).apiKey?.id).toBe(a.info.id);
      f.clock.advance(2_000);
      await expectCode(session(bot, a.key), "VOLLY_E_API_KEY_EXPIRED");
      expect((await session(bot, b.key)).apiKey?.id).toBe(b.info.id);
      const listed = (await f.services.apiKeys.list(owner)).keys.find((k) => k.id === a.info.id);
      expect(listed).toMatchObject({ replacedBy: b.info.id });
    });

    it("stores the SHA-256 of a key, never the key", async () => {
      const { key, info } = await f.services.apiKeys.create(owner, { name: "h", scopes: ["read"] });
      const row = await f.store.apiKeys.findById(info.id);
      expect(row?.keyHash).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(JSON.stringify(row)).not.toContain(key.slice(8));
    });
  });
});
