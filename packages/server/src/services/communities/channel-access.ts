import { hasPermission, VollyError } from "@volly/protocol";
import type { ServiceContext } from "../context.js";
import type { DepartureRecorder } from "../delivery/departures.js";
import { channelPermissionsOf, subjectOf } from "./community-access.js";

/**
 * Keeps channel groups in step with channel permissions after a change that can take access away (a
 * role removed or edited, an overwrite changed, a kick or ban, a channel deleted).
 */
export interface ChannelAccessReconciler {
  /**
   * For every channel group of the community, departs each member device whose account may no longer
   * view the channel (or is no longer a member, or whose channel is gone): a `departure` entry ends
   * its membership at once — the server fans nothing more out to it — and asks the remaining member
   * devices to commit its Remove (RFC 9420 §12.1.3), after which it cannot decrypt anything new.
   *
   * @param channelGroups extra groups to empty entirely (channels deleted in the same action)
   * @returns how many devices were departed
   */
  reconcile(communityId: string, channelGroups?: readonly string[]): Promise<number>;
}

/** Builds the {@link ChannelAccessReconciler} over the delivery service's departures. */
export function createChannelAccessReconciler(
  { store, now }: ServiceContext,
  departures: DepartureRecorder,
): ChannelAccessReconciler {
  const depart = async (deviceId: string, groupId: string) => {
    try {
      await departures.leave(deviceId, groupId);
      return 1;
    } catch (error) {
      // Removed or departed concurrently: nothing left to do.
      if (error instanceof VollyError && error.code === "VOLLY_E_NOT_GROUP_MEMBER") return 0;
      throw error;
    }
  };
  return {
    async reconcile(communityId, channelGroups = []) {
      let departed = 0;
      for (const groupId of channelGroups) {
        for (const deviceId of await store.groups.listMembers(groupId))
          departed += await depart(deviceId, groupId);
      }
      const community = await store.communities.find(communityId);
      if (!community) return departed;
      const [roles, members, channels, overwrites] = await Promise.all([
        store.communities.listRoles(communityId),
        store.communities.listMembers(communityId),
        store.communities.listChannels(communityId),
        store.communities.listCommunityOverwrites(communityId),
      ]);
      const memberOf = new Map(members.map((m) => [m.accountId, m]));
      const at = now();
      for (const channel of channels) {
        if (channel.groupId === null) continue;
        const own = overwrites.filter((o) => o.channelId === channel.id);
        const canView = new Map<string, boolean>();
        const devices = await store.groups.listMembers(channel.groupId);
        const accountOf = await store.devices.accountsOf(devices); // one read for the whole group
        for (const deviceId of devices) {
          const accountId = accountOf.get(deviceId);
          if (accountId === undefined) continue; // revoked: it departed every group then
          let allowed = canView.get(accountId);
          if (allowed === undefined) {
            const member = memberOf.get(accountId);
            allowed =
              member !== undefined &&
              hasPermission(
                channelPermissionsOf(subjectOf(community, member, roles), own, at),
                "VIEW_CHANNEL",
              );
            canView.set(accountId, allowed);
          }
          if (!allowed) departed += await depart(deviceId, channel.groupId);
        }
      }
      return departed;
    },
  };
}
