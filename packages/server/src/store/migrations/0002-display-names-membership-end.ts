import type { Kysely } from "kysely";

/**
 * Migration 0002: account display names and memberships that end at a seq instead of being deleted.
 * Adds the nullable columns `accounts.display_name` (text) and `group_members.left_seq` (bigint).
 * Existing rows keep their data: display names are unset and every membership stays current. Kysely's
 * schema builder only, so it runs unchanged on SQLite and PostgreSQL.
 */
export const migration0002DisplayNamesMembershipEnd = {
  /** Adds both columns. */
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable("accounts").addColumn("display_name", "text").execute();
    await db.schema.alterTable("group_members").addColumn("left_seq", "bigint").execute();
  },

  /** Drops both columns (SQLite ≥ 3.35 and PostgreSQL support DROP COLUMN). */
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable("group_members").dropColumn("left_seq").execute();
    await db.schema.alterTable("accounts").dropColumn("display_name").execute();
  },
};
