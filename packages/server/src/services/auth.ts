import { createHash, randomBytes } from "node:crypto";
import {
  assertWellFormedApiKey,
  type ChallengeResponse,
  LIMITS,
  newId,
  type SessionBody,
  type SessionResponse,
  signingInput,
  toBase64Url,
  VollyError,
} from "@volly/protocol";
import { grantOf, requireKeyFor, resolveApiKey } from "./api-keys/grants.js";
import type { AuthContext, ServiceContext } from "./context.js";
import { verifySignature } from "./signatures.js";

/** Signed-nonce authentication: REST bearer sessions and gateway IDENTIFY/RESUME signatures. */
export interface AuthService {
  /**
   * Issues a single-use nonce for `deviceId`, valid for LIMITS.nonceTtlMs (ms). Also purges expired
   * nonces and sessions.
   *
   * @throws VOLLY_E_UNKNOWN_DEVICE, VOLLY_E_DEVICE_REVOKED
   */
  challenge(deviceId: string): Promise<ChallengeResponse>;
  /**
   * Exchanges a signed nonce for a bearer token valid for LIMITS.sessionTtlMs (ms). The signature
   * must verify over `signingInput.session(nonce)` with the device's key; the nonce must exist, belong
   * to the device, be unexpired and unused, and is marked used in the same transaction that stores
   * the session. The token is 32 random bytes (base64url, 43 chars); only its SHA-256 is stored.
   * With `apiKey` (a key of the device's account) the session carries the key's scopes and ends no
   * later than the key; the device is then bound to key authentication (signature-only sessions are
   * refused for it from then on).
   *
   * @throws VOLLY_E_UNKNOWN_DEVICE, VOLLY_E_BAD_SIGNATURE, VOLLY_E_DEVICE_REVOKED, VOLLY_E_NONCE_INVALID,
   *   VOLLY_E_API_KEY_INVALID / _EXPIRED / _REVOKED, VOLLY_E_API_KEY_REQUIRED (bound device, no key)
   */
  createSession(body: SessionBody): Promise<SessionResponse>;
  /**
   * Resolves a bearer token to its device (and, for a session made with an API key, the key's grant,
   * checked again: a revoked or expired key ends its sessions).
   * @throws VOLLY_E_NOT_AUTHENTICATED (unknown or expired), VOLLY_E_DEVICE_REVOKED,
   *   VOLLY_E_API_KEY_REVOKED, VOLLY_E_API_KEY_EXPIRED
   */
  authenticate(token: string): Promise<AuthContext>;
  /**
   * Checks a gateway IDENTIFY/RESUME signature: `signature` over `signingInput.identify(nonce)` with
   * the key of `deviceId`, and `apiKey` as in {@link AuthService.createSession}.
   *
   * @throws VOLLY_E_BAD_SIGNATURE (also for an unknown device, so the gateway does not reveal which),
   *   VOLLY_E_DEVICE_REVOKED (a valid signature by a revoked device), the API key errors of
   *   createSession
   */
  verifyIdentify(deviceId: string, nonce: string, signature: string, apiKey?: string): Promise<AuthContext>;
}

/** SHA-256 of a bearer token's base64url text, base64url: what the sessions table stores. */
export function hashToken(token: string): string {
  return toBase64Url(createHash("sha256").update(token, "utf8").digest());
}

/** Builds the {@link AuthService}. */
export function createAuthService({ store, now }: ServiceContext): AuthService {
  return {
    async challenge(deviceId) {
      const device = await store.devices.findById(deviceId);
      if (!device) throw new VollyError("VOLLY_E_UNKNOWN_DEVICE", undefined, { deviceId });
      if (device.revokedAt !== undefined) throw new VollyError("VOLLY_E_DEVICE_REVOKED");
      const issuedAt = now();
      const nonce = newId();
      const expiresAt = issuedAt + LIMITS.nonceTtlMs;
      await store.auth.purgeExpired(issuedAt);
      await store.auth.insertNonce({ nonce, deviceId, expiresAt });
      return { nonce, expiresAt };
    },

    async createSession({ deviceId, nonce, signature, apiKey }) {
      if (apiKey !== undefined) assertWellFormedApiKey(apiKey);
      const token = toBase64Url(randomBytes(32));
      return store.transaction(async (tx) => {
        const device = await tx.devices.findById(deviceId);
        if (!device) throw new VollyError("VOLLY_E_UNKNOWN_DEVICE", undefined, { deviceId });
        if (!verifySignature(device.signaturePublicKey, signingInput.session(nonce), signature)) {
          throw new VollyError("VOLLY_E_BAD_SIGNATURE");
        }
        if (device.revokedAt !== undefined) throw new VollyError("VOLLY_E_DEVICE_REVOKED");
        const at = now();
        if (!(await tx.auth.consumeNonce(nonce, deviceId, at))) throw new VollyError("VOLLY_E_NONCE_INVALID");
        const grant =
          apiKey === undefined
            ? await requireKeyFor(tx, deviceId)
            : await resolveApiKey(tx, apiKey, { accountId: device.accountId, deviceId }, at);
        const expiresAt = Math.min(at + LIMITS.sessionTtlMs, grant?.expiresAt ?? Number.MAX_SAFE_INTEGER);
        await tx.auth.insertSession({
          tokenHash: hashToken(token),
          deviceId,
          expiresAt,
          ...(grant ? { apiKeyId: grant.id } : {}),
        });
        return { token, expiresAt, accountId: device.accountId, deviceId };
      });
    },

    async authenticate(token) {
      const session = await store.auth.findSession(hashToken(token), now());
      const device = session && (await store.devices.findById(session.deviceId));
      if (!device) throw new VollyError("VOLLY_E_NOT_AUTHENTICATED");
      if (device.revokedAt !== undefined) throw new VollyError("VOLLY_E_DEVICE_REVOKED");
      const context = {
        accountId: device.accountId,
        deviceId: device.id,
        handle: device.handle,
        entityType: device.entityType,
      };
      if (session.apiKeyId === undefined) return context;
      const key = await store.apiKeys.findById(session.apiKeyId);
      if (!key) throw new VollyError("VOLLY_E_NOT_AUTHENTICATED");
      return { ...context, apiKey: grantOf(key, now()) };
    },

    async verifyIdentify(deviceId, nonce, signature, apiKey) {
      if (apiKey !== undefined) assertWellFormedApiKey(apiKey);
      const device = await store.devices.findById(deviceId);
      if (!device || !verifySignature(device.signaturePublicKey, signingInput.identify(nonce), signature)) {
        throw new VollyError("VOLLY_E_BAD_SIGNATURE");
      }
      if (device.revokedAt !== undefined) throw new VollyError("VOLLY_E_DEVICE_REVOKED");
      const context = {
        accountId: device.accountId,
        deviceId: device.id,
        handle: device.handle,
        entityType: device.entityType,
      };
      if (apiKey === undefined) {
        await requireKeyFor(store, deviceId);
        return context;
      }
      return { ...context, apiKey: await resolveApiKey(store, apiKey, context, now()) };
    },
  };
}
