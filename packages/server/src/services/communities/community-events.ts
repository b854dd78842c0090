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
      const devices = new Set(await store.communities.listMemberDevices(communityId));
      for (const accountId of alsoAccountIds) {
        for (const device of await store.devices.listByAccount(accountId)) {
          if (device.revokedAt === undefined) devices.add(device.id);
        }
      }
      for (const deviceId of devices) {
        bus.publish(deviceChannel(deviceId), { type: "community-updated", deviceId, communityId });
      }
    },
  };
}
