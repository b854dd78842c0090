import type { Kysely } from "kysely";

/**
 * Migration 0006: the membership policy of each group.
 *
 * - `groups.membership_policy` (text, not null, default `'admin'`): the name of the policy that
 *   decides who may commit what, send and grant admin in the group (see
 *   `services/groups/membership-policy.ts`). Every group so far — direct conversations, groups, the
 *   account-sync conversation — follows the same rules, which are the "admin" policy's, so existing
 *   rows get `'admin'` and nothing changes for them. Community channels will be a second policy.
 *
 * Kysely's schema builder only, so it runs unchanged on SQLite and PostgreSQL (both fill existing
 * rows with the default when a NOT NULL column with a constant default is added).
 */
export const migration0006GroupMembershipPolicy = {
  /** Adds the column; existing groups get "admin". */
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .alterTable("groups")
      .addColumn("membership_policy", "text", (c) => c.notNull().defaultTo("admin"))
      .execute();
  },

  /** Drops the column (SQLite ≥ 3.35 and PostgreSQL support DROP COLUMN). */
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable("groups").dropColumn("membership_policy").execute();
  },
};
