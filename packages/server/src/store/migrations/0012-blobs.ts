import type { Kysely } from "kysely";

/**
 * Migration 0012: encrypted files (blobs).
 *
 * - `blobs`: one row per upload, keyed by its tus upload id. `blob_id` is the SHA-256 the ciphertext
 *   must hash to (the id clients use once it is complete); `state` is "uploading" (bytes arriving at
 *   `<blobDir>/uploads/<id>`), "complete" (hash checked, file at `<blobDir>/<blob_id>`) or "removed"
 *   (no longer served; its file is being deleted). `size` (ciphertext bytes) counts against the
 *   uploading account's storage quota until the row goes. `expires_at`: when an unfinished upload or
 *   a complete blob no message points at is removed; null once a message points at it.
 * - `message_blobs`: which messages point at which blobs (recorded with the SEND, with the message's
 *   seq and sender device, so a message whose log entry was pruned after delivery can still be
 *   deleted for everyone and take its blobs); a blob goes once every message pointing at it is
 *   deleted for everyone or past retention, never with the log entry's pruning after delivery.
 *
 * Kysely's schema builder only, so it runs unchanged on SQLite and PostgreSQL.
 */
export const migration0012Blobs = {
  /** Creates `blobs` and `message_blobs` with their indexes. */
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable("blobs")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("blob_id", "text", (c) => c.notNull())
      .addColumn("group_id", "text", (c) => c.notNull().references("groups.id"))
      .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id"))
      .addColumn("size", "bigint", (c) => c.notNull())
      .addColumn("state", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("expires_at", "bigint")
      .execute();
    await db.schema.createIndex("blobs_blob_id").on("blobs").columns(["blob_id", "state"]).execute();
    await db.schema.createIndex("blobs_account").on("blobs").columns(["account_id"]).execute();
    await db.schema.createIndex("blobs_expiry").on("blobs").columns(["expires_at"]).execute();
    await db.schema.createIndex("blobs_group").on("blobs").columns(["group_id"]).execute();
    await db.schema
      .createTable("message_blobs")
      .addColumn("group_id", "text", (c) => c.notNull())
      .addColumn("message_id", "text", (c) => c.notNull())
      .addColumn("blob_id", "text", (c) => c.notNull())
      .addColumn("seq", "bigint", (c) => c.notNull())
      .addColumn("sender_device_id", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("message_blobs_pk", ["group_id", "message_id", "blob_id"])
      .execute();
    await db.schema.createIndex("message_blobs_blob").on("message_blobs").columns(["blob_id"]).execute();
    await db.schema
      .createIndex("message_blobs_created")
      .on("message_blobs")
      .columns(["created_at"])
      .execute();
  },

  /** Drops `message_blobs` and `blobs` (the files in the blob directory stay). */
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable("message_blobs").execute();
    await db.schema.dropTable("blobs").execute();
  },
};
