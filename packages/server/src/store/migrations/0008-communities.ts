import type { Kysely } from "kysely";

/**
 * Migration 0008: communities (Discord's guilds; DESIGN.md "Communities, on MLS").
 *
 * - `communities(id, name, description, owner_account_id, created_at)`.
 * - `community_members(community_id, account_id, joined_at, timed_out_until)`: who belongs; a
 *   timeout (ms, null when none) stops sending until then.
 * - `community_roles(id, community_id, name, color, position, permissions)`: the `@everyone` role's
 *   id is the community's, at position 0; `permissions` is the 52-bit set as a bigint.
 * - `community_member_roles(community_id, account_id, role_id)`.
 * - `community_channels(id, community_id, type, name, topic, parent_id, position, group_id,
 *   history_policy, created_at)`: `group_id` is the channel's MLS group once created (unique);
 *   `history_policy` is JSON.
 * - `channel_overwrites(channel_id, target_id, target_type, allow, deny)`.
 * - `community_bans(community_id, account_id, reason, banned_by, created_at)`.
 * - `community_invites(code, community_id, creator_account_id, created_at, expires_at, max_uses, uses)`.
 * - `community_audit_log(id, community_id, seq, actor_account_id, action, target_id, reason,
 *   created_at)`: `seq` numbers a community's entries 1, 2, … in the order they were written (unique
 *   per community; writers hold the community's row lock), so the log reads newest first even when
 *   two entries share a millisecond.
 *
 * Kysely's schema builder only, so it runs unchanged on SQLite and PostgreSQL.
 */
export const migration0008Communities = {
  /** Creates the tables and their indexes. */
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable("communities")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("description", "text", (c) => c.notNull().defaultTo(""))
      .addColumn("owner_account_id", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .execute();
    await db.schema
      .createTable("community_members")
      .addColumn("community_id", "text", (c) => c.notNull())
      .addColumn("account_id", "text", (c) => c.notNull())
      .addColumn("joined_at", "bigint", (c) => c.notNull())
      .addColumn("timed_out_until", "bigint")
      .addPrimaryKeyConstraint("community_members_pk", ["community_id", "account_id"])
      .execute();
    await db.schema
      .createIndex("community_members_account_idx")
      .on("community_members")
      .column("account_id")
      .execute();
    await db.schema
      .createTable("community_roles")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("community_id", "text", (c) => c.notNull())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("color", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("position", "integer", (c) => c.notNull())
      .addColumn("permissions", "bigint", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("community_roles_community_idx")
      .on("community_roles")
      .column("community_id")
      .execute();
    await db.schema
      .createTable("community_member_roles")
      .addColumn("community_id", "text", (c) => c.notNull())
      .addColumn("account_id", "text", (c) => c.notNull())
      .addColumn("role_id", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("community_member_roles_pk", ["community_id", "account_id", "role_id"])
      .execute();
    await db.schema
      .createIndex("community_member_roles_role_idx")
      .on("community_member_roles")
      .column("role_id")
      .execute();
    await db.schema
      .createTable("community_channels")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("community_id", "text", (c) => c.notNull())
      .addColumn("type", "text", (c) => c.notNull())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("topic", "text", (c) => c.notNull().defaultTo(""))
      .addColumn("parent_id", "text")
      .addColumn("position", "integer", (c) => c.notNull())
      .addColumn("group_id", "text", (c) => c.unique())
      .addColumn("history_policy", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("community_channels_community_idx")
      .on("community_channels")
      .column("community_id")
      .execute();
    await db.schema
      .createTable("channel_overwrites")
      .addColumn("channel_id", "text", (c) => c.notNull())
      .addColumn("target_id", "text", (c) => c.notNull())
      .addColumn("target_type", "text", (c) => c.notNull())
      .addColumn("allow", "bigint", (c) => c.notNull())
      .addColumn("deny", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("channel_overwrites_pk", ["channel_id", "target_id"])
      .execute();
    await db.schema
      .createTable("community_bans")
      .addColumn("community_id", "text", (c) => c.notNull())
      .addColumn("account_id", "text", (c) => c.notNull())
      .addColumn("reason", "text")
      .addColumn("banned_by", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("community_bans_pk", ["community_id", "account_id"])
      .execute();
    await db.schema
      .createTable("community_invites")
      .addColumn("code", "text", (c) => c.primaryKey())
      .addColumn("community_id", "text", (c) => c.notNull())
      .addColumn("creator_account_id", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("expires_at", "bigint")
      .addColumn("max_uses", "integer")
      .addColumn("uses", "integer", (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema
      .createIndex("community_invites_community_idx")
      .on("community_invites")
      .column("community_id")
      .execute();
    await db.schema
      .createTable("community_audit_log")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("community_id", "text", (c) => c.notNull())
      .addColumn("seq", "integer", (c) => c.notNull())
      .addColumn("actor_account_id", "text", (c) => c.notNull())
      .addColumn("action", "text", (c) => c.notNull())
      .addColumn("target_id", "text")
      .addColumn("reason", "text")
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("community_audit_log_seq_idx")
      .on("community_audit_log")
      .columns(["community_id", "seq"])
      .unique()
      .execute();
  },

  /** Drops the tables (their indexes go with them). */
  async down(db: Kysely<unknown>): Promise<void> {
    for (const table of [
      "community_audit_log",
      "community_invites",
      "community_bans",
      "channel_overwrites",
      "community_channels",
      "community_member_roles",
      "community_roles",
      "community_members",
      "communities",
    ]) {
      await db.schema.dropTable(table).execute();
    }
  },
};
