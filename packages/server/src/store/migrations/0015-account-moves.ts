import type { Kysely } from "kysely";

/**
 * Migration 0015: account moves (`docs/architecture.md` "Federation", moving an account).
 *
 * - `account_moves`: accounts that moved from this server to another: the handle they had here (so
 *   this server keeps answering for it with the new one), the account, the handle they moved to
 *   (`user@server`), when, and the device's signed move (JSON) as proof. The account itself stays
 *   as an account of another server (`federation_accounts`).
 * - `federation_outbox`: notes this server still has to send another server (a signed POST of a
 *   JSON body to a federation route), kept until that server answers: a moved account's move to the
 *   servers of its conversations, a message deleted for everyone to the servers holding a copy.
 *
 * Kysely's schema builder only, so it runs unchanged on SQLite and PostgreSQL.
 */
export const migration0015AccountMoves = {
  /** Creates `account_moves` and `federation_outbox`. */
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable("account_moves")
      .addColumn("handle", "text", (c) => c.primaryKey())
      .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id"))
      .addColumn("moved_to", "text", (c) => c.notNull())
      .addColumn("moved_at", "bigint", (c) => c.notNull())
      .addColumn("record", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("account_moves_account")
      .on("account_moves")
      .columns(["account_id"])
      .execute();
    await db.schema
      .createTable("federation_outbox")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("server", "text", (c) => c.notNull())
      .addColumn("path", "text", (c) => c.notNull())
      .addColumn("body", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("federation_outbox_created")
      .on("federation_outbox")
      .columns(["created_at"])
      .execute();
  },

  /** Drops what `up` created. */
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable("federation_outbox").execute();
    await db.schema.dropTable("account_moves").execute();
  },
};
