import type { ApiKeyScope } from "@volly/protocol";
import type { Kysely } from "kysely";
import type { Database } from "../schema.js";
import type { ApiKeyRecord, ApiKeyRepository } from "../types.js";
import { num } from "./rows.js";

const SCOPES = new Set<string>(["send", "read", "manage"]);

/** Reads the stored comma-separated scopes (unknown words are dropped, so they grant nothing). */
function scopesOf(text: string): ApiKeyScope[] {
  return text.split(",").filter((s): s is ApiKeyScope => SCOPES.has(s));
}

function toRecord(r: Database["api_keys"]): ApiKeyRecord {
  return {
    id: r.id,
    accountId: r.account_id,
    name: r.name,
    keyHash: r.key_hash,
    hint: r.hint,
    scopes: scopesOf(r.scopes),
    createdAt: num(r.created_at),
    ...(r.expires_at !== null ? { expiresAt: num(r.expires_at) } : {}),
    ...(r.revoked_at !== null ? { revokedAt: num(r.revoked_at) } : {}),
    ...(r.last_used_at !== null ? { lastUsedAt: num(r.last_used_at) } : {}),
    ...(r.replaced_by !== null ? { replacedBy: r.replaced_by } : {}),
  };
}

/** {@link ApiKeyRepository} over Kysely (SQLite and PostgreSQL). */
export function kyselyApiKeyRepository(db: Kysely<Database>): ApiKeyRepository {
  return {
    async insert(key) {
      await db
        .insertInto("api_keys")
        .values({
          id: key.id,
          account_id: key.accountId,
          name: key.name,
          key_hash: key.keyHash,
          hint: key.hint,
          scopes: key.scopes.join(","),
          created_at: key.createdAt,
          expires_at: key.expiresAt ?? null,
          revoked_at: key.revokedAt ?? null,
          last_used_at: key.lastUsedAt ?? null,
          replaced_by: key.replacedBy ?? null,
        })
        .execute();
    },
    async findById(id) {
      const row = await db.selectFrom("api_keys").selectAll().where("id", "=", id).executeTakeFirst();
      return row && toRecord(row);
    },
    async findByHash(keyHash) {
      const row = await db
        .selectFrom("api_keys")
        .selectAll()
        .where("key_hash", "=", keyHash)
        .executeTakeFirst();
      return row && toRecord(row);
    },
    async listForAccount(accountId) {
      const rows = await db
        .selectFrom("api_keys")
        .selectAll()
        .where("account_id", "=", accountId)
        .orderBy("created_at", "desc")
        .orderBy("id", "desc")
        .execute();
      return rows.map(toRecord);
    },
    async countActive(accountId, now) {
      const row = await db
        .selectFrom("api_keys")
        .select((eb) => eb.fn.countAll<number | string | bigint>().as("n"))
        .where("account_id", "=", accountId)
        .where("revoked_at", "is", null)
        .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", now)]))
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    },
    async revoke(id, at) {
      const result = await db
        .updateTable("api_keys")
        .set({ revoked_at: at })
        .where("id", "=", id)
        .where("revoked_at", "is", null)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },
    async markRotated(id, newId, expiresAt) {
      await db
        .updateTable("api_keys")
        .set((eb) => ({
          replaced_by: newId,
          expires_at: eb
            .case()
            .when("expires_at", "is", null)
            .then(expiresAt)
            .when("expires_at", ">", expiresAt)
            .then(expiresAt)
            .else(eb.ref("expires_at"))
            .end(),
        }))
        .where("id", "=", id)
        .execute();
    },
    async touch(id, at) {
      await db.updateTable("api_keys").set({ last_used_at: at }).where("id", "=", id).execute();
    },
    async bindDevice(deviceId, at) {
      await db
        .insertInto("api_key_devices")
        .values({ device_id: deviceId, bound_at: at })
        .onConflict((oc) => oc.column("device_id").doNothing())
        .execute();
    },
    async isDeviceBound(deviceId) {
      const row = await db
        .selectFrom("api_key_devices")
        .select("device_id")
        .where("device_id", "=", deviceId)
        .executeTakeFirst();
      return row !== undefined;
    },
    async deleteSessions(apiKeyId) {
      await db.deleteFrom("sessions").where("api_key_id", "=", apiKeyId).execute();
    },
  };
}
