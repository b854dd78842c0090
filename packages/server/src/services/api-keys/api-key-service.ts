import { randomBytes } from "node:crypto";
import {
  API_KEY_RANDOM_CHARS,
  type ApiKeyInfo,
  apiKeyHint,
  type CreateApiKeyBody,
  type CreatedApiKey,
  formatApiKey,
  MAX_API_KEYS_PER_ACCOUNT,
  newId,
  randomBase62,
  VollyError,
} from "@volly/protocol";
import { deviceChannel } from "../../bus/bus.js";
import type { ApiKeyRecord, Repositories } from "../../store/types.js";
import { hashToken } from "../auth.js";
import type { AuthContext, ServiceContext } from "../context.js";
import { requireScope } from "./grants.js";

/** API keys of an account: create (shown once), list, revoke, rotate with an overlap. */
export interface ApiKeyService {
  /**
   * Creates a key for the caller's account. The key's text is in the answer and nowhere else; the
   * store keeps its SHA-256 and its first 8 characters.
   *
   * @throws VOLLY_E_API_KEY_SCOPE (a key session without `manage`), VOLLY_E_BAD_REQUEST (expiry in
   *   the past), VOLLY_E_RATE_LIMITED (more than MAX_API_KEYS_PER_ACCOUNT active keys)
   */
  create(caller: AuthContext, body: CreateApiKeyBody): Promise<CreatedApiKey>;
  /** The account's keys, newest first. @throws VOLLY_E_API_KEY_SCOPE */
  list(caller: AuthContext): Promise<{ keys: ApiKeyInfo[] }>;
  /**
   * Revokes a key of the caller's account: its REST sessions are deleted and its gateway connections
   * closed (bus "api-key-changed" on each device of the account). Revoking a revoked key changes
   * nothing.
   *
   * @throws VOLLY_E_NOT_FOUND (no such key in this account), VOLLY_E_API_KEY_SCOPE
   */
  revoke(caller: AuthContext, keyId: string): Promise<ApiKeyInfo>;
  /**
   * Replaces a key: a new key with the same name, scopes and expiry; the old one keeps working for
   * `overlapMs` (ms) and then expires (`replacedBy` names the new one).
   *
   * @throws VOLLY_E_NOT_FOUND, VOLLY_E_API_KEY_SCOPE, VOLLY_E_API_KEY_REVOKED / _EXPIRED (the old
   *   key is no longer usable), VOLLY_E_API_KEY_ROTATED (already rotated)
   */
  rotate(caller: AuthContext, keyId: string, overlapMs: number): Promise<CreatedApiKey>;
}

/** The listed form of a stored key (never its hash). */
function info(key: ApiKeyRecord): ApiKeyInfo {
  return {
    id: key.id,
    name: key.name,
    scopes: key.scopes,
    hint: key.hint,
    createdAt: key.createdAt,
    ...(key.expiresAt !== undefined ? { expiresAt: key.expiresAt } : {}),
    ...(key.lastUsedAt !== undefined ? { lastUsedAt: key.lastUsedAt } : {}),
    ...(key.revokedAt !== undefined ? { revokedAt: key.revokedAt } : {}),
    ...(key.replacedBy !== undefined ? { replacedBy: key.replacedBy } : {}),
  };
}

/** A new random key (190 bits from the CSPRNG) and its stored record. */
function newKey(
  accountId: string,
  fields: Pick<ApiKeyRecord, "name" | "scopes" | "expiresAt">,
  at: number,
): { key: string; record: ApiKeyRecord } {
  const key = formatApiKey(randomBase62(randomBytes(64), API_KEY_RANDOM_CHARS));
  return {
    key,
    record: {
      id: newId(),
      accountId,
      name: fields.name,
      scopes: fields.scopes,
      keyHash: hashToken(key),
      hint: apiKeyHint(key),
      createdAt: at,
      ...(fields.expiresAt !== undefined ? { expiresAt: fields.expiresAt } : {}),
    },
  };
}

async function findOwn(repos: Repositories, caller: AuthContext, keyId: string): Promise<ApiKeyRecord> {
  const key = await repos.apiKeys.findById(keyId);
  if (!key || key.accountId !== caller.accountId) {
    throw new VollyError("VOLLY_E_NOT_FOUND", "No such API key in this account.", { keyId });
  }
  return key;
}

/** Builds the {@link ApiKeyService}. */
export function createApiKeyService({ store, bus, now }: ServiceContext): ApiKeyService {
  /** Tells the gateway connections of the account's devices that a key was revoked or rotated. */
  const announce = async (
    accountId: string,
    change: { apiKeyId: string; revoked: boolean; expiresAt?: number },
  ): Promise<void> => {
    for (const device of await store.devices.listByAccount(accountId)) {
      bus.publish(deviceChannel(device.id), { type: "api-key-changed", deviceId: device.id, ...change });
    }
  };
  return {
    async create(caller, body) {
      requireScope(caller.apiKey, "manage");
      const at = now();
      const expiresAt = body.expiresAt ?? undefined;
      if (expiresAt !== undefined && expiresAt <= at) {
        throw new VollyError("VOLLY_E_BAD_REQUEST", "expiresAt is in the past.", { expiresAt });
      }
      return store.transaction(async (tx) => {
        if ((await tx.apiKeys.countActive(caller.accountId, at)) >= MAX_API_KEYS_PER_ACCOUNT) {
          throw new VollyError(
            "VOLLY_E_RATE_LIMITED",
            `An account holds at most ${MAX_API_KEYS_PER_ACCOUNT} active API keys; revoke one first.`,
          );
        }
        const scopes = [...new Set(body.scopes)];
        const { key, record } = newKey(caller.accountId, { name: body.name, scopes, expiresAt }, at);
        await tx.apiKeys.insert(record);
        return { key, info: info(record) };
      });
    },

    async list(caller) {
      requireScope(caller.apiKey, "manage");
      return { keys: (await store.apiKeys.listForAccount(caller.accountId)).map(info) };
    },

    async revoke(caller, keyId) {
      requireScope(caller.apiKey, "manage");
      const revoked = await store.transaction(async (tx) => {
        await findOwn(tx, caller, keyId);
        await tx.apiKeys.revoke(keyId, now());
        await tx.apiKeys.deleteSessions(keyId);
        return (await tx.apiKeys.findById(keyId)) as ApiKeyRecord;
      });
      await announce(caller.accountId, { apiKeyId: keyId, revoked: true });
      return info(revoked);
    },

    async rotate(caller, keyId, overlapMs) {
      requireScope(caller.apiKey, "manage");
      const at = now();
      const rotated = await store.transaction(async (tx) => {
        const old = await findOwn(tx, caller, keyId);
        if (old.revokedAt !== undefined)
          throw new VollyError("VOLLY_E_API_KEY_REVOKED", undefined, { keyId });
        if (old.expiresAt !== undefined && old.expiresAt <= at) {
          throw new VollyError("VOLLY_E_API_KEY_EXPIRED", undefined, { keyId });
        }
        if (old.replacedBy !== undefined) {
          throw new VollyError("VOLLY_E_API_KEY_ROTATED", undefined, { keyId, replacedBy: old.replacedBy });
        }
        const { key, record } = newKey(caller.accountId, old, at);
        await tx.apiKeys.insert(record);
        await tx.apiKeys.markRotated(old.id, record.id, at + overlapMs);
        const expiresAt = (await tx.apiKeys.findById(old.id))?.expiresAt ?? at + overlapMs;
        return { created: { key, info: info(record) }, expiresAt };
      });
      await announce(caller.accountId, { apiKeyId: keyId, revoked: false, expiresAt: rotated.expiresAt });
      return rotated.created;
    },
  };
}
