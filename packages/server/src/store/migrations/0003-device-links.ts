import type { Kysely } from "kysely";

/**
 * Migration 0003: device links and revoked devices.
 *
 * - `device_links`: one row per pairing code an existing device created (POST /v1/device-links):
 *   its account and creating device, expiry, status (open → claimed → approved), the key, name and
 *   proof the new device presented, and the device id registered on approval.
 * - `devices.revoked_at`: when the device was revoked (DELETE /v1/devices/:deviceId); null while
 *   active. Revoked devices keep their row (log entries and memberships point at it).
 *
 * Kysely's schema builder only, so it runs unchanged on SQLite and PostgreSQL.
 */
export const migration0003DeviceLinks = {
  /** Creates `device_links` and adds `devices.revoked_at`. */
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable("device_links")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id"))
      .addColumn("creator_device_id", "text", (c) => c.notNull().references("devices.id"))
      .addColumn("expires_at", "bigint", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("claimed_key", "text")
      .addColumn("claimed_name", "text")
      .addColumn("claimed_proof", "text")
      .addColumn("device_id", "text")
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("device_links_expires_idx").on("device_links").column("expires_at").execute();
    await db.schema.alterTable("devices").addColumn("revoked_at", "bigint").execute();
  },

  /** Drops `devices.revoked_at` and `device_links`. */
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable("devices").dropColumn("revoked_at").execute();
    await db.schema.dropTable("device_links").execute();
  },
};
