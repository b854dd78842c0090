import { deviceChannel } from "../../bus/bus.js";
import type { ServiceContext } from "../context.js";

/** Tells the live sessions of a community's members that it changed (gateway COMMUNITY_UPDATE). */
export interface CommunityEvents {
  /**
   * Tells every active device of every current member of the community and of `alsoAccountIds`
   * (accounts that just left, were kicked or banned) through {@link notify}. Call it after the
   * change's transaction committed.
   */
  changed(communityId: string, alsoAccountIds?: readonly string[]): Promise<void>;
  /**
   * Publishes "community-updated" on the channel of each of `deviceIds`. The step {@link changed}
   * ends with, called through this object: the federation wraps it in place to reach devices of
   * other servers (`federation/community-updates.ts`).
   */
  notify(communityId: string, deviceIds: ReadonlySet<string>): Promise<void>;
}

/** Builds the {@link CommunityEvents} over the bus. */
export function createCommunityEvents({
  store,
  bus,
}: Pick<ServiceContext, "store" | "bus">): CommunityEvents {
  const events: CommunityEvents = {
    async changed(communityId, alsoAccountIds = []) {
      const devices = new Set(await store.communities.listMemberDevices(communityId));
      for (const accountId of alsoAccountIds) {
        for (const device of await store.devices.listByAccount(accountId)) {
          if (device.revokedAt === undefined) devices.add(device.id);
        }
      }
      await events.notify(communityId, devices);
    },
    async notify(communityId, deviceIds) {
      for (const deviceId of deviceIds) {
        bus.publish(deviceChannel(deviceId), { type: "community-updated", deviceId, communityId });
      }
    },
  };
  return events;
}
