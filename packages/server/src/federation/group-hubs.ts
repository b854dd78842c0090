import type { Store } from "../store/types.js";

/** Which server orders each group: this one (it hosts the group) or another (this server mirrors it). */
export interface GroupHubs {
  /**
   * The hub of `groupId` when another server hosts it; undefined when this server hosts it or no
   * such group is stored. Cached: a group never changes hub. A channel group of another server's
   * community that is not mirrored yet (a device of this server is about to join it) is answered
   * with that server, uncached.
   */
  hubOf(groupId: string): Promise<string | undefined>;
  /**
   * What {@link hubOf} knows without reading the store: the hub, null for a group hosted here,
   * undefined when not cached yet. Lets a caller that must keep call order (appends) skip an await.
   */
  known(groupId: string): string | null | undefined;
}

/** Most groups remembered before the cache starts over. */
const MAX_CACHED = 100_000;

/**
 * Builds the {@link GroupHubs} over the store's groups, mirrors (`federation_groups`) and other
 * servers' channel groups (`federation_community_refs`).
 */
export function createGroupHubs(store: Store): GroupHubs {
  /** Group id → its hub (another server), or null when hosted here. */
  const hubs = new Map<string, string | null>();
  return {
    known: (groupId) => hubs.get(groupId),
    async hubOf(groupId) {
      const cached = hubs.get(groupId);
      if (cached !== undefined) return cached ?? undefined;
      const found = await store.federation.findMirror(groupId);
      if (hubs.size >= MAX_CACHED) hubs.clear();
      if (found) hubs.set(groupId, found.hub);
      else if (await store.groups.find(groupId)) hubs.set(groupId, null);
      else return store.remoteCommunities.serverOf(groupId);
      return found?.hub;
    },
  };
}
