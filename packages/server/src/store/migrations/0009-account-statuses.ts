import type { Kysely } from "kysely";

/**
 * Migration 0009: account statuses.
 *
 * - `account_statuses`: one row per account that ever set a status (PUT /v1/presence/status): the
 *   chosen status (online | idle | dnd | invisible), an optional custom text and the time it
 *   expires, and when it was set (last writer wins). An expired text stays in the row and is
 *   never served: expiry is computed on read, so no timer has to survive a restart.
 *
 * Kysely's schema builder only, so it runs unchanged on SQLite and PostgreSQL.
 */
export const migration0009AccountStatuses = {
  /** Creates `account_statuses`. */
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable("account_statuses")
      .addColumn("account_id", "text", (c) => c.primaryKey().references("accounts.id"))
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("text", "text")
      .addColumn("until", "bigint")
      .addColumn("set_at", "bigint", (c) => c.notNull())
      .execute();
  },

  /** Drops `account_statuses`. */
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable("account_statuses").execute();
  },
};
