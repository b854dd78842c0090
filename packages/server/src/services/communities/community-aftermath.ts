import type { ChannelAccessReconciler } from "./channel-access.js";
import type { CommunityEvents } from "./community-events.js";

/** What follows every committed change of a community. */
export interface CommunityAftermath {
  /**
   * Departs the devices that lost access to a channel group (see
   * {@link ChannelAccessReconciler.reconcile}), then tells the members' live sessions (and those of
   * `alsoAccountIds`: accounts that just left or were removed) that the community changed.
   *
   * @param options.emptiedGroups groups of channels deleted by the change: every device departs
   * @param options.alsoAccountIds accounts to notify besides the current members
   */
  settle(
    communityId: string,
    options?: { emptiedGroups?: readonly string[]; alsoAccountIds?: readonly string[] },
  ): Promise<void>;
}

/** Builds the {@link CommunityAftermath}. */
export function createCommunityAftermath(
  reconciler: ChannelAccessReconciler,
  events: CommunityEvents,
): CommunityAftermath {
  return {
    async settle(communityId, options = {}) {
      await reconciler.reconcile(communityId, options.emptiedGroups ?? []);
      await events.changed(communityId, options.alsoAccountIds ?? []);
    },
  };
}
