import type { Kysely } from "kysely";
import type { Database } from "../schema.js";
import type { RemoteCommunityRepository } from "../types.js";

/**
 * {@link RemoteCommunityRepository} over Kysely (tables `federation_community_refs` and
 * `federation_communities`, migration 0016).
 */
export function kyselyRemoteCommunityRepository(db: Kysely<Database>): RemoteCommunityRepository {
  return {
    async putRefs(server, ids) {
      const unique = [...new Set(ids)];
      if (unique.length === 0) return;
      await db
        .insertInto("federation_community_refs")
        .values(unique.map((id) => ({ ref_id: id, server })))
        .onConflict((oc) => oc.column("ref_id").doNothing())
        .execute();
    },

    async serverOf(id) {
      const row = await db
        .selectFrom("federation_community_refs")
        .select("server")
        .where("ref_id", "=", id)
        .executeTakeFirst();
      return row?.server;
    },

    async serversOf(ids) {
      const unique = [...new Set(ids)];
      if (unique.length === 0) return new Map();
      const rows = await db
        .selectFrom("federation_community_refs")
        .select(["ref_id", "server"])
        .where("ref_id", "in", unique)
        .execute();
      return new Map(rows.map((r) => [r.ref_id, r.server]));
    },

    async join(accountId, communityId, server) {
      await db
        .insertInto("federation_communities")
        .values({ account_id: accountId, community_id: communityId, server })
        .onConflict((oc) => oc.columns(["account_id", "community_id"]).doNothing())
        .execute();
    },

    async leave(accountId, communityId) {
      await db
        .deleteFrom("federation_communities")
        .where("account_id", "=", accountId)
        .where("community_id", "=", communityId)
        .execute();
    },

    async list(accountId) {
      const rows = await db
        .selectFrom("federation_communities")
        .select(["community_id", "server"])
        .where("account_id", "=", accountId)
        .orderBy("community_id")
        .execute();
      return rows.map((r) => ({ communityId: r.community_id, server: r.server }));
    },
  };
}
