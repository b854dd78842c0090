import type { Kysely } from "kysely";

/**
 * Migration 0005: one Welcome per commit, not per added device.
 *
 * - `commit_welcomes(group_id, seq, payload)`: the Welcome of the commit at `seq` (RFC 9420
 *   §12.4.3.1: one Welcome serves every member a commit adds), stored once. Each added device still
 *   gets its own inbox entry in `welcomes`, with an empty `payload` that reads as this one.
 *
 * Before, a commit adding N devices stored the same Welcome N times — and since a Welcome grows with
 * the number of devices it adds (one encrypted group secret per new member, ~1.3 KB with X-Wing),
 * adding 999 devices meant ~1.7 GB in one request. Existing inbox entries keep their own payload and
 * need no change. Kysely's schema builder only, so it runs unchanged on SQLite and PostgreSQL.
 */
export const migration0005CommitWelcomes = {
  /** Creates the table. */
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable("commit_welcomes")
      .addColumn("group_id", "text", (c) => c.notNull().references("groups.id"))
      .addColumn("seq", "bigint", (c) => c.notNull())
      .addColumn("payload", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("commit_welcomes_pk", ["group_id", "seq"])
      .execute();
  },

  /**
   * Copies each shared Welcome back into the inbox entries that refer to it (what an older server
   * reads), then drops the table.
   */
  async down(db: Kysely<unknown>): Promise<void> {
    const legacy = db as Kysely<{
      welcomes: { group_id: string; seq: number; payload: string };
      commit_welcomes: { group_id: string; seq: number; payload: string };
    }>;
    await legacy
      .updateTable("welcomes")
      .set((eb) => ({
        payload: eb
          .selectFrom("commit_welcomes")
          .select("commit_welcomes.payload")
          .whereRef("commit_welcomes.group_id", "=", "welcomes.group_id")
          .whereRef("commit_welcomes.seq", "=", "welcomes.seq"),
      }))
      .where("payload", "=", "")
      .execute();
    await db.schema.dropTable("commit_welcomes").execute();
  },
};
