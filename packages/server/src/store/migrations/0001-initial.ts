import type { Kysely } from "kysely";

/**
 * Migration 0001: the initial schema. Uses only Kysely's schema builder with portable types (text,
 * integer, bigint) so the same migration runs on SQLite and PostgreSQL.
 */
export const migration0001Initial = {
  /** Creates every table and index. */
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable("accounts")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("handle", "text", (c) => c.notNull().unique())
      .addColumn("entity_type", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .execute();

    await db.schema
      .createTable("devices")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id"))
      .addColumn("signature_public_key", "text", (c) => c.notNull().unique())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("devices_account_idx").on("devices").column("account_id").execute();

    await db.schema
      .createTable("auth_nonces")
      .addColumn("nonce", "text", (c) => c.primaryKey())
      .addColumn("device_id", "text", (c) => c.notNull().references("devices.id"))
      .addColumn("expires_at", "bigint", (c) => c.notNull())
      .addColumn("used_at", "bigint")
      .execute();
    await db.schema.createIndex("auth_nonces_expires_idx").on("auth_nonces").column("expires_at").execute();

    await db.schema
      .createTable("sessions")
      .addColumn("token_hash", "text", (c) => c.primaryKey())
      .addColumn("device_id", "text", (c) => c.notNull().references("devices.id"))
      .addColumn("expires_at", "bigint", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("sessions_expires_idx").on("sessions").column("expires_at").execute();

    await db.schema
      .createTable("key_packages")
      .addColumn("ref", "text", (c) => c.primaryKey())
      .addColumn("device_id", "text", (c) => c.notNull().references("devices.id"))
      .addColumn("data", "text", (c) => c.notNull())
      .addColumn("last_resort", "integer", (c) => c.notNull())
      .addColumn("claimed_by", "text")
      .addColumn("claimed_at", "bigint")
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("key_packages_pool_idx")
      .on("key_packages")
      .columns(["device_id", "last_resort", "claimed_by", "created_at"])
      .execute();

    await db.schema
      .createTable("groups")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("epoch", "bigint", (c) => c.notNull())
      .addColumn("last_seq", "bigint", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .execute();

    await db.schema
      .createTable("group_members")
      .addColumn("group_id", "text", (c) => c.notNull().references("groups.id"))
      .addColumn("device_id", "text", (c) => c.notNull().references("devices.id"))
      .addColumn("joined_seq", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("group_members_pk", ["group_id", "device_id"])
      .execute();
    await db.schema.createIndex("group_members_device_idx").on("group_members").column("device_id").execute();

    await db.schema
      .createTable("group_log")
      .addColumn("group_id", "text", (c) => c.notNull().references("groups.id"))
      .addColumn("seq", "bigint", (c) => c.notNull())
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("message_id", "text", (c) => c.notNull())
      .addColumn("sender_device_id", "text", (c) => c.notNull().references("devices.id"))
      .addColumn("epoch", "bigint", (c) => c.notNull())
      .addColumn("payload", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("group_log_pk", ["group_id", "seq"])
      .addUniqueConstraint("group_log_message_id_unique", ["group_id", "message_id"])
      .execute();

    await db.schema
      .createTable("group_trees")
      .addColumn("group_id", "text", (c) => c.notNull().references("groups.id"))
      .addColumn("epoch", "bigint", (c) => c.notNull())
      .addColumn("ratchet_tree", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("group_trees_pk", ["group_id", "epoch"])
      .execute();

    await db.schema
      .createTable("welcomes")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("device_id", "text", (c) => c.notNull().references("devices.id"))
      .addColumn("group_id", "text", (c) => c.notNull().references("groups.id"))
      .addColumn("seq", "bigint", (c) => c.notNull())
      .addColumn("epoch", "bigint", (c) => c.notNull())
      .addColumn("sender_device_id", "text", (c) => c.notNull().references("devices.id"))
      .addColumn("payload", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("acked_at", "bigint")
      .execute();
    await db.schema
      .createIndex("welcomes_inbox_idx")
      .on("welcomes")
      .columns(["device_id", "acked_at"])
      .execute();

    await db.schema
      .createTable("cursors")
      .addColumn("device_id", "text", (c) => c.notNull().references("devices.id"))
      .addColumn("group_id", "text", (c) => c.notNull().references("groups.id"))
      .addColumn("seq", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("cursors_pk", ["device_id", "group_id"])
      .execute();
  },

  /** Drops every table (reverse order of creation). */
  async down(db: Kysely<unknown>): Promise<void> {
    for (const table of [
      "cursors",
      "welcomes",
      "group_trees",
      "group_log",
      "group_members",
      "groups",
      "key_packages",
      "sessions",
      "auth_nonces",
      "devices",
      "accounts",
    ]) {
      await db.schema.dropTable(table).execute();
    }
  },
};
