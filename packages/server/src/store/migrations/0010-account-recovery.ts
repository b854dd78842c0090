import type { Kysely } from "kysely";

/**
 * Migration 0010: account recovery by recovery key.
 *
 * - `account_recovery`: one row per account that set up a recovery key: the Ed25519 public key
 *   derived from it, the sealed account backup (opaque to the server) and when it was stored, the
 *   one pending restore nonce with its expiry, and the failed restore attempts (count and time of
 *   the last one) that slow further attempts down.
 * - `recovery_rejoins`: the groups a restored device may join by external commit — those the
 *   account's revoked devices were members of at the restore — one row per (device, group), dropped
 *   when the device's join commit is accepted.
 *
 * Kysely's schema builder only, so it runs unchanged on SQLite and PostgreSQL.
 */
export const migration0010AccountRecovery = {
  /** Creates `account_recovery` and `recovery_rejoins`. */
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable("account_recovery")
      .addColumn("account_id", "text", (c) => c.primaryKey().references("accounts.id"))
      .addColumn("public_key", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("backup", "text")
      .addColumn("backup_updated_at", "bigint")
      .addColumn("nonce", "text")
      .addColumn("nonce_expires_at", "bigint")
      .addColumn("failures", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("last_failure_at", "bigint")
      .execute();
    await db.schema
      .createTable("recovery_rejoins")
      .addColumn("device_id", "text", (c) => c.notNull().references("devices.id"))
      .addColumn("group_id", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("recovery_rejoins_pk", ["device_id", "group_id"])
      .execute();
  },

  /** Drops both tables. */
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable("recovery_rejoins").execute();
    await db.schema.dropTable("account_recovery").execute();
  },
};
