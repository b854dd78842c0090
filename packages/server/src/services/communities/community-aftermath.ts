import type { ChannelAccessReconciler } from "./channel-access.js";
import type { CommunityEvents } from "./community-events.js";

/**
 * What follows every committed change of a community: {@link CommunityAftermath.settle} after one
 * that can take access away (roles, overwrites, kicks, bans, leaving, ownership, deletions),
 * {@link CommunityAftermath.notify} after the others.
 */
export interface CommunityAftermath {
  /**
   * Departs the devices that lost access to a channel group (see
   * {@link ChannelAccessReconciler.reconcile}), takes accounts that may no longer connect out of
   * their voice channel, then tells the members' live sessions (and those of
   * `alsoAccountIds`: accounts that just left or were removed) that the community changed.
   *
   * @param options.emptiedGroups groups of channels deleted by the change: every device departs
   * @param options.alsoAccountIds accounts to notify besides the current members
   */
  settle(
    communityId: string,
    options?: { emptiedGroups?: readonly string[]; alsoAccountIds?: readonly string[] },
  ): Promise<void>;
  /**
   * Only tells the members' live sessions that the community changed: for a change that cannot take
   * anyone's access to a channel away (a rename, a new channel or role, a join, a timeout — which
   * keeps VIEW_CHANNEL), so no channel group is read.
   */
  notify(communityId: string): Promise<void>;
}

/**
 * Builds the {@link CommunityAftermath}.
 *
 * @param accessChanged also run by `settle`, after the channel groups: what else follows access
 *   (voice channels: members who may no longer connect are taken out); must not reject
 */
export function createCommunityAftermath(
  reconciler: ChannelAccessReconciler,
  events: CommunityEvents,
  accessChanged: (communityId: string) => Promise<void> = async () => undefined,
): CommunityAftermath {
  return {
    async settle(communityId, options = {}) {
      await reconciler.reconcile(communityId, options.emptiedGroups ?? []);
      await accessChanged(communityId);
      await events.changed(communityId, options.alsoAccountIds ?? []);
    },
    notify: (communityId) => events.changed(communityId),
  };
}
