import type { Kysely } from "kysely";
import type { AccountRecoveryTable, Database } from "../schema.js";
import type { AccountRecoveryRecord, AccountRecoveryRepository } from "../types.js";
import { num, numOrNull } from "./rows.js";

function toRecord(row: AccountRecoveryTable): AccountRecoveryRecord {
  const backupUpdatedAt = numOrNull(row.backup_updated_at);
  const nonceExpiresAt = numOrNull(row.nonce_expires_at);
  const lastFailureAt = numOrNull(row.last_failure_at);
  return {
    accountId: row.account_id,
    publicKey: row.public_key,
    createdAt: num(row.created_at),
    ...(row.backup !== null ? { backup: row.backup } : {}),
    ...(backupUpdatedAt !== null ? { backupUpdatedAt } : {}),
    ...(row.nonce !== null ? { nonce: row.nonce } : {}),
    ...(nonceExpiresAt !== null ? { nonceExpiresAt } : {}),
    failures: num(row.failures),
    ...(lastFailureAt !== null ? { lastFailureAt } : {}),
  };
}

/**
 * {@link AccountRecoveryRepository} over Kysely (tables `account_recovery` and `recovery_rejoins`,
 * migration 0010). The nonce is consumed by one conditional UPDATE, so two concurrent restores
 * with the same nonce cannot both succeed, on any node.
 */
export function kyselyAccountRecoveryRepository(db: Kysely<Database>): AccountRecoveryRepository {
  return {
    async get(accountId) {
      const row = await db
        .selectFrom("account_recovery")
        .selectAll()
        .where("account_id", "=", accountId)
        .executeTakeFirst();
      return row ? toRecord(row) : undefined;
    },
    async putKey(accountId, publicKey, at) {
      const values = {
        account_id: accountId,
        public_key: publicKey,
        created_at: at,
        backup: null,
        backup_updated_at: null,
        nonce: null,
        nonce_expires_at: null,
        failures: 0,
        last_failure_at: null,
      };
      const { account_id: _id, ...update } = values;
      await db
        .insertInto("account_recovery")
        .values(values)
        .onConflict((oc) => oc.column("account_id").doUpdateSet(update))
        .execute();
    },
    async putBackup(accountId, backup, at) {
      const result = await db
        .updateTable("account_recovery")
        .set({ backup, backup_updated_at: at })
        .where("account_id", "=", accountId)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    async putNonce(accountId, nonce, expiresAt) {
      await db
        .updateTable("account_recovery")
        .set({ nonce, nonce_expires_at: expiresAt })
        .where("account_id", "=", accountId)
        .execute();
    },
    async consumeNonce(accountId, nonce, at) {
      const result = await db
        .updateTable("account_recovery")
        .set({ nonce: null, nonce_expires_at: null })
        .where("account_id", "=", accountId)
        .where("nonce", "=", nonce)
        .where("nonce_expires_at", ">", at)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    async recordFailure(accountId, at) {
      await db
        .updateTable("account_recovery")
        .set((eb) => ({
          failures: eb("failures", "+", 1),
          last_failure_at: at,
          nonce: null,
          nonce_expires_at: null,
        }))
        .where("account_id", "=", accountId)
        .execute();
    },
    async resetFailures(accountId) {
      await db
        .updateTable("account_recovery")
        .set({ failures: 0, last_failure_at: null })
        .where("account_id", "=", accountId)
        .execute();
    },
    async grantRejoins(deviceId, groupIds, at) {
      if (groupIds.length === 0) return;
      await db
        .insertInto("recovery_rejoins")
        .values(groupIds.map((groupId) => ({ device_id: deviceId, group_id: groupId, created_at: at })))
        .onConflict((oc) => oc.columns(["device_id", "group_id"]).doNothing())
        .execute();
    },
    async listRejoins(deviceId) {
      const rows = await db
        .selectFrom("recovery_rejoins")
        .select("group_id")
        .where("device_id", "=", deviceId)
        .orderBy("group_id")
        .execute();
      return rows.map((r) => r.group_id);
    },
    async hasRejoin(deviceId, groupId) {
      const row = await db
        .selectFrom("recovery_rejoins")
        .select("group_id")
        .where("device_id", "=", deviceId)
        .where("group_id", "=", groupId)
        .executeTakeFirst();
      return row !== undefined;
    },
    async dropRejoin(deviceId, groupId) {
      await db
        .deleteFrom("recovery_rejoins")
        .where("device_id", "=", deviceId)
        .where("group_id", "=", groupId)
        .execute();
    },
  };
}
