import type { Kysely } from "kysely";

/**
 * Migration 0014: federation (`docs/architecture.md` "Federation").
 *
 * - `federation_accounts`: the accounts of other servers this server knows (their `accounts` row
 *   holds the qualified handle `user@server`, their `devices` rows the devices' keys): the home
 *   server, the handle there, and when the home server last described them. A local account has no row.
 * - `federation_groups`: the groups this server mirrors for its devices (a follower): the hub that
 *   orders them and how far this server's copy of the hub's log goes. A group hosted here has no row.
 *
 * Kysely's schema builder only, so it runs unchanged on SQLite and PostgreSQL.
 */
export const migration0014Federation = {
  /** Creates `federation_accounts` and `federation_groups`. */
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable("federation_accounts")
      .addColumn("account_id", "text", (c) => c.primaryKey().references("accounts.id"))
      .addColumn("server", "text", (c) => c.notNull())
      .addColumn("user_handle", "text", (c) => c.notNull())
      .addColumn("fetched_at", "bigint", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("federation_accounts_server")
      .on("federation_accounts")
      .columns(["server"])
      .execute();
    await db.schema
      .createTable("federation_groups")
      .addColumn("group_id", "text", (c) => c.primaryKey().references("groups.id"))
      .addColumn("hub", "text", (c) => c.notNull())
      .addColumn("mirrored_seq", "bigint", (c) => c.notNull().defaultTo(0))
      .execute();
  },

  /** Drops what `up` created. */
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable("federation_groups").execute();
    await db.schema.dropTable("federation_accounts").execute();
  },
};
