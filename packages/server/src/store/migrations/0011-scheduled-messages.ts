import type { Kysely } from "kysely";

/**
 * Migration 0011: scheduled messages.
 *
 * - `scheduled_messages`: application messages held as ciphertext until `release_at`, then appended
 *   to the group's log by whichever node claims them first (`claimed_at`, set by one conditional
 *   UPDATE; a claim older than the lease is taken over, and the log's idempotency by message id
 *   keeps a second append from duplicating). A refused release keeps the row with `failure` (the
 *   error code) so the account sees it; a successful one deletes it.
 *
 * Kysely's schema builder only, so it runs unchanged on SQLite and PostgreSQL.
 */
export const migration0011ScheduledMessages = {
  /** Creates `scheduled_messages` and its indexes (due rows by time; rows by account). */
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable("scheduled_messages")
      .addColumn("message_id", "text", (c) => c.primaryKey())
      .addColumn("group_id", "text", (c) => c.notNull().references("groups.id"))
      .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id"))
      .addColumn("device_id", "text", (c) => c.notNull().references("devices.id"))
      .addColumn("epoch", "bigint", (c) => c.notNull())
      .addColumn("ciphertext", "text", (c) => c.notNull())
      .addColumn("declares", "text")
      .addColumn("release_at", "bigint", (c) => c.notNull())
      .addColumn("series_id", "text")
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("claimed_at", "bigint")
      .addColumn("failure", "text")
      .execute();
    await db.schema
      .createIndex("scheduled_messages_due")
      .on("scheduled_messages")
      .columns(["release_at"])
      .execute();
    await db.schema
      .createIndex("scheduled_messages_account")
      .on("scheduled_messages")
      .columns(["account_id", "release_at"])
      .execute();
  },

  /** Drops `scheduled_messages`. */
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable("scheduled_messages").execute();
  },
};
