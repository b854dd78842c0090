import type { Kysely } from "kysely";
import type { Database } from "../schema.js";
import type { AuthRepository } from "../types.js";
import type { PreparedQueries, QueryTemplate } from "./prepared-queries.js";
import { num } from "./rows.js";

/** Hot path: every authenticated REST request looks its bearer session up. */
const FIND_SESSION: QueryTemplate<{ device_id: string; expires_at: number; api_key_id: string | null }> = (
  db,
  [tokenHash, now],
) =>
  db
    .selectFrom("sessions")
    .select(["device_id", "expires_at", "api_key_id"])
    .where("token_hash", "=", tokenHash as string)
    .where("expires_at", ">", now as unknown as number)
    .limit(1);

/** {@link AuthRepository} over Kysely. */
export function kyselyAuthRepository(db: Kysely<Database>, prepared: PreparedQueries): AuthRepository {
  return {
    async insertNonce(n) {
      await db
        .insertInto("auth_nonces")
        .values({ nonce: n.nonce, device_id: n.deviceId, expires_at: n.expiresAt, used_at: null })
        .execute();
    },
    async consumeNonce(nonce, deviceId, now) {
      const result = await db
        .updateTable("auth_nonces")
        .set({ used_at: now })
        .where("nonce", "=", nonce)
        .where("device_id", "=", deviceId)
        .where("expires_at", ">", now)
        .where("used_at", "is", null)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },
    async insertSession(s) {
      await db
        .insertInto("sessions")
        .values({
          token_hash: s.tokenHash,
          device_id: s.deviceId,
          expires_at: s.expiresAt,
          api_key_id: s.apiKeyId ?? null,
        })
        .execute();
    },
    async findSession(tokenHash, now) {
      const [row] = (await prepared.execute(db, FIND_SESSION, [tokenHash, now])).rows;
      return (
        row && {
          deviceId: row.device_id,
          expiresAt: num(row.expires_at),
          ...(row.api_key_id !== null ? { apiKeyId: row.api_key_id } : {}),
        }
      );
    },
    async purgeExpired(now) {
      await db.deleteFrom("auth_nonces").where("expires_at", "<=", now).execute();
      await db.deleteFrom("sessions").where("expires_at", "<=", now).execute();
    },
    async deleteForDevice(deviceId) {
      await db.deleteFrom("auth_nonces").where("device_id", "=", deviceId).execute();
      await db.deleteFrom("sessions").where("device_id", "=", deviceId).execute();
    },
  };
}
