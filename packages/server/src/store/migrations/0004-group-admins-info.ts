import type { Kysely } from "kysely";

/** The tables this migration reads and writes, as they are at this point of the history. */
interface LegacyTables {
  group_members: { group_id: string; device_id: string; joined_seq: number };
  devices: { id: string; account_id: string };
  group_admins: { group_id: string; account_id: string };
}

/**
 * Migration 0004: group admins and GroupInfos for resync.
 *
 * - `group_admins(group_id, account_id)`: accounts allowed to add and remove other accounts' devices
 *   (the creator's account first, then those granted).
 * - `group_infos(group_id, epoch, group_info)`: the GroupInfo with external_pub (RFC 9420 §12.4.3)
 *   a committer attached for the epoch its commit created, served to a member that rejoins by
 *   external commit (§12.4.3.2).
 *
 * Existing groups get their creator's account (the member joined at seq 0) as admin. Kysely's schema
 * and query builders only, so it runs unchanged on SQLite and PostgreSQL.
 */
export const migration0004GroupAdminsInfo = {
  /** Creates both tables. */
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable("group_admins")
      .addColumn("group_id", "text", (c) => c.notNull().references("groups.id"))
      .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id"))
      .addPrimaryKeyConstraint("group_admins_pk", ["group_id", "account_id"])
      .execute();
    await db.schema
      .createTable("group_infos")
      .addColumn("group_id", "text", (c) => c.notNull().references("groups.id"))
      .addColumn("epoch", "bigint", (c) => c.notNull())
      .addColumn("group_info", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("group_infos_pk", ["group_id", "epoch"])
      .execute();
    await db.schema.createIndex("group_log_created_idx").on("group_log").column("created_at").execute();
    // Existing groups: their creator (the device joined at seq 0) gets the admin role, as
    // createGroup now does, so someone can still add other accounts.
    const legacy = db as Kysely<LegacyTables>;
    await legacy
      .insertInto("group_admins")
      .columns(["group_id", "account_id"])
      .expression(
        legacy
          .selectFrom("group_members as m")
          .innerJoin("devices as d", "d.id", "m.device_id")
          .select(["m.group_id", "d.account_id"])
          .distinct()
          .where("m.joined_seq", "=", 0),
      )
      .execute();
  },

  /** Drops both tables and the index. */
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropIndex("group_log_created_idx").execute();
    await db.schema.dropTable("group_infos").execute();
    await db.schema.dropTable("group_admins").execute();
  },
};
