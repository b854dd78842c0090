import { type Kysely, sql } from "kysely";

/**
 * Migration 0007: storage quotas, pruning by reader, claim rate limits.
 *
 * - `accounts.stored_bytes`, `groups.stored_bytes` (bigint, default 0): the bytes (base64url
 *   characters) of what the account stored, and of what the group holds, that the server still
 *   keeps — log entries, Welcomes, ratchet trees, GroupInfos. Updated in the transaction of every
 *   write and every deletion, so a quota check reads one row instead of summing the log.
 * - `group_trees.account_id`, `group_infos.account_id`, `commit_welcomes.account_id` (nullable): the
 *   account charged for the row (the committer), so the retention job credits it back when it deletes
 *   the row. Rows stored before this migration have none: they count for their group only.
 * - `groups.pruned_seq` (bigint, default 0): every log entry with seq ≤ it has been pruned; the
 *   retention job skips a group whose `last_seq` equals it without reading its members.
 * - `rate_limits(key, tat)`: one row per rate-limited key (generic cell rate algorithm: the
 *   "theoretical arrival time" in ms) — key package claims per claimer and per target.
 * - Partial indexes so the retention job finds claimed key packages and acknowledged Welcomes without
 *   a scan, and an index on `welcomes.created_at` for expired ones.
 *
 * Existing rows are counted once here: each group's log entries, Welcomes, trees and GroupInfos; each
 * account's log entries and per-device Welcomes (by sender device). A full pass over those tables,
 * once. Kysely's builders and portable SQL only (length, coalesce, sum), so it runs unchanged on
 * SQLite and PostgreSQL.
 */
export const migration0007StorageQuotas = {
  /** Adds the columns, table and indexes, and counts what is already stored. */
  async up(db: Kysely<unknown>): Promise<void> {
    for (const table of ["accounts", "groups"]) {
      await db.schema
        .alterTable(table)
        .addColumn("stored_bytes", "bigint", (c) => c.notNull().defaultTo(0))
        .execute();
    }
    await db.schema
      .alterTable("groups")
      .addColumn("pruned_seq", "bigint", (c) => c.notNull().defaultTo(0))
      .execute();
    for (const table of ["group_trees", "group_infos", "commit_welcomes"]) {
      await db.schema.alterTable(table).addColumn("account_id", "text").execute();
    }
    await db.schema
      .createTable("rate_limits")
      .addColumn("key", "text", (c) => c.primaryKey())
      .addColumn("tat", "bigint", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("rate_limits_tat_idx").on("rate_limits").column("tat").execute();
    await db.schema
      .createIndex("key_packages_claimed_idx")
      .on("key_packages")
      .column("claimed_at")
      .where(sql.ref("claimed_by"), "is not", null)
      .execute();
    await db.schema
      .createIndex("welcomes_acked_idx")
      .on("welcomes")
      .column("acked_at")
      .where(sql.ref("acked_at"), "is not", null)
      .execute();
    await db.schema.createIndex("welcomes_created_idx").on("welcomes").column("created_at").execute();

    const sumOf = (table: string, column: string) =>
      sql`(select coalesce(sum(length(${sql.ref(`t.${column}`)})), 0) from ${sql.table(table)} as t where t.group_id = groups.id)`;
    await sql`update groups set stored_bytes = ${sumOf("group_log", "payload")} + ${sumOf("welcomes", "payload")}
      + ${sumOf("commit_welcomes", "payload")} + ${sumOf("group_trees", "ratchet_tree")}
      + ${sumOf("group_infos", "group_info")}`.execute(db);
    const sentBy = (table: string) =>
      sql`(select coalesce(sum(length(t.payload)), 0) from ${sql.table(table)} as t
        inner join devices as d on d.id = t.sender_device_id where d.account_id = accounts.id)`;
    await sql`update accounts set stored_bytes = ${sentBy("group_log")} + ${sentBy("welcomes")}`.execute(db);
  },

  /** Drops what {@link up} added. */
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropIndex("welcomes_created_idx").execute();
    await db.schema.dropIndex("welcomes_acked_idx").execute();
    await db.schema.dropIndex("key_packages_claimed_idx").execute();
    await db.schema.dropIndex("rate_limits_tat_idx").execute();
    await db.schema.dropTable("rate_limits").execute();
    for (const table of ["commit_welcomes", "group_infos", "group_trees"]) {
      await db.schema.alterTable(table).dropColumn("account_id").execute();
    }
    await db.schema.alterTable("groups").dropColumn("pruned_seq").execute();
    for (const table of ["groups", "accounts"]) {
      await db.schema.alterTable(table).dropColumn("stored_bytes").execute();
    }
  },
};
