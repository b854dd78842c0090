import type { Kysely } from "kysely";

/**
 * Migration 0016: communities with members from other servers (`docs/architecture.md` "Federation",
 * communities across servers), on a member's home server.
 *
 * - `federation_community_refs`: communities, channels and channel groups another server hosts, by
 *   id, with that server: learned from its answers to calls this server relayed for its accounts, so
 *   a later call naming one (a channel's id alone, say) goes to the right server. The first server to
 *   name an id keeps it.
 * - `federation_communities`: which local accounts are members of which community another server
 *   hosts (kept by the joins, leaves and lists relayed), so listing an account's communities asks
 *   only the servers hosting one of them.
 *
 * Kysely's schema builder only, so it runs unchanged on SQLite and PostgreSQL.
 */
export const migration0016RemoteCommunities = {
  /** Creates `federation_community_refs` and `federation_communities`. */
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable("federation_community_refs")
      .addColumn("ref_id", "text", (c) => c.primaryKey())
      .addColumn("server", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createTable("federation_communities")
      .addColumn("community_id", "text", (c) => c.notNull())
      .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id"))
      .addColumn("server", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("federation_communities_pk", ["account_id", "community_id"])
      .execute();
  },

  /** Drops what `up` created. */
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable("federation_communities").execute();
    await db.schema.dropTable("federation_community_refs").execute();
  },
};
