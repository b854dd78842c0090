import type { Kysely } from "kysely";

/**
 * Migration 0013: API keys.
 *
 * - `api_keys`: one row per key of an account. `key_hash` is the base64url SHA-256 of the key's text
 *   (the key itself is never stored); `hint` its first 8 characters (`vly_` + 4) to recognise it in
 *   lists; `scopes` comma-separated (`send,read,manage`); `expires_at` null = never; a rotated key
 *   gets `expires_at` = end of the overlap and `replaced_by` = the new key's id.
 * - `api_key_devices`: devices bound to key authentication. Once a device made a session with a key
 *   it is listed here, and from then on a signature alone no longer gets it a session.
 * - `sessions.api_key_id`: the key a REST session was made with (null for signature-only sessions).
 *
 * Kysely's schema builder only, so it runs unchanged on SQLite and PostgreSQL.
 */
export const migration0013ApiKeys = {
  /** Creates `api_keys`, `api_key_devices` and `sessions.api_key_id`. */
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable("api_keys")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id"))
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("key_hash", "text", (c) => c.notNull().unique())
      .addColumn("hint", "text", (c) => c.notNull())
      .addColumn("scopes", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("expires_at", "bigint")
      .addColumn("revoked_at", "bigint")
      .addColumn("last_used_at", "bigint")
      .addColumn("replaced_by", "text")
      .execute();
    await db.schema.createIndex("api_keys_account").on("api_keys").columns(["account_id"]).execute();
    await db.schema
      .createTable("api_key_devices")
      .addColumn("device_id", "text", (c) => c.primaryKey())
      .addColumn("bound_at", "bigint", (c) => c.notNull())
      .execute();
    await db.schema.alterTable("sessions").addColumn("api_key_id", "text").execute();
  },

  /** Drops what `up` created. */
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable("sessions").dropColumn("api_key_id").execute();
    await db.schema.dropTable("api_key_devices").execute();
    await db.schema.dropTable("api_keys").execute();
  },
};
