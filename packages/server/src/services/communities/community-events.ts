import { deviceChannel } from "../../bus/bus.js";
import type { ServiceContext } from "../context.js";

/** Tells the live sessions of a community's members that it changed (gateway COMMUNITY_UPDATE). */
export interface CommunityEvents {
  /**
   * Publishes "community-updated" on the channel of every active device of every current member of
   * the community and of `alsoAccountIds` (accounts that just left, were kicked or banned). Call it
   * after the change's transaction committed.
   */
  changed(communityId: string, alsoAccountIds?: readonly string[]): Promise<void>;
}

/** Builds the {@link CommunityEvents} over the bus. */
export function createCommunityEvents({
  store,
  bus,
}: Pick<ServiceContext, "store" | "bus">): CommunityEvents {
  return {
    async changed(communityId, alsoAccountIds = []) {
      const members = await store.communities.listMembers(communityId);
      const accounts = new Set([...members.map((m) => m.accountId), ...alsoAccountIds]);
      for (const accountId of accounts) {
        for (const device of await store.devices.listByAccount(accountId)) {
          if (device.revokedAt !== undefined) continue;
          bus.publish(deviceChannel(device.id), {
            type: "community-updated",
            deviceId: device.id,
            communityId,
          });
        }
      }
    },
  };
}
