import { type ApiKeyScope, assertWellFormedApiKey, VollyError } from "@volly/protocol";
import type { ApiKeyRecord, Repositories } from "../../store/types.js";
import { hashToken } from "../auth.js";

/** What a session made with an API key may do, and until when (ms; undefined: the key never expires). */
export interface ApiKeyGrant {
  id: string;
  scopes: readonly ApiKeyScope[];
  expiresAt?: number;
}

/**
 * Checks a stored key is usable at `now`: not revoked, not expired (a rotated key expires when its
 * overlap ends).
 *
 * @throws VOLLY_E_API_KEY_REVOKED, VOLLY_E_API_KEY_EXPIRED
 */
export function grantOf(key: ApiKeyRecord, now: number): ApiKeyGrant {
  if (key.revokedAt !== undefined)
    throw new VollyError("VOLLY_E_API_KEY_REVOKED", undefined, { keyId: key.id });
  if (key.expiresAt !== undefined && key.expiresAt <= now) {
    throw new VollyError("VOLLY_E_API_KEY_EXPIRED", undefined, { keyId: key.id });
  }
  return {
    id: key.id,
    scopes: key.scopes,
    ...(key.expiresAt !== undefined ? { expiresAt: key.expiresAt } : {}),
  };
}

/**
 * Resolves an API key presented by a device of `accountId` (POST /v1/auth/session, IDENTIFY,
 * RESUME): shape and checksum first (no lookup for a malformed key), then its SHA-256 is looked up;
 * a key of another account is reported as unknown. Records the use (`last_used_at`) and binds the
 * device to key authentication (see {@link requireKeyFor}).
 *
 * @throws VOLLY_E_API_KEY_INVALID (malformed, bad checksum, unknown, other account),
 *   VOLLY_E_API_KEY_REVOKED, VOLLY_E_API_KEY_EXPIRED
 */
export async function resolveApiKey(
  repos: Repositories,
  key: string,
  device: { accountId: string; deviceId: string },
  now: number,
): Promise<ApiKeyGrant> {
  assertWellFormedApiKey(key);
  const stored = await repos.apiKeys.findByHash(hashToken(key));
  if (!stored || stored.accountId !== device.accountId) throw new VollyError("VOLLY_E_API_KEY_INVALID");
  const grant = grantOf(stored, now);
  await repos.apiKeys.touch(stored.id, now);
  await repos.apiKeys.bindDevice(device.deviceId, now);
  return grant;
}

/**
 * Refuses a signature-only authentication of a device bound to key authentication: once a device
 * made a session with an API key, revoking the account's keys cuts it off — its device signature
 * alone no longer opens a session or a gateway connection.
 *
 * @throws VOLLY_E_API_KEY_REQUIRED
 */
export async function requireKeyFor(repos: Repositories, deviceId: string): Promise<void> {
  if (await repos.apiKeys.isDeviceBound(deviceId)) throw new VollyError("VOLLY_E_API_KEY_REQUIRED");
}

/**
 * Checks that a session's grant includes `scope` (sessions without an API key may do anything their
 * device may).
 *
 * @throws VOLLY_E_API_KEY_SCOPE (403) with `details.scope`
 */
export function requireScope(grant: ApiKeyGrant | undefined, scope: ApiKeyScope): void {
  if (grant && !grant.scopes.includes(scope)) {
    throw new VollyError("VOLLY_E_API_KEY_SCOPE", `This API key lacks the "${scope}" scope.`, { scope });
  }
}
