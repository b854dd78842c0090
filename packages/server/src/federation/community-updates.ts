import {
  FEDERATION_PREFIX,
  type FederatedCommunityUpdate,
  FederationEmpty,
  VollyError,
} from "@volly/protocol";
import type { FederationContext } from "./federation-context.js";

/** A home server's side of COMMUNITY_UPDATEs of communities other servers host. */
export interface CommunityUpdates {
  /**
   * The community's server `origin` says `communityId` changed for these devices: tells the live
   * sessions of those that are devices of this server whose account is (or was until this change) a
   * member of it as this server knows.
   *
   * @throws VOLLY_E_FORBIDDEN when `origin` does not host that community as far as this server knows
   */
  receive(origin: string, communityId: string, update: FederatedCommunityUpdate): Promise<void>;
}

/**
 * Makes the community events federation-aware, in place (`CommunityEvents.notify`): of the devices
 * told that a community hosted here changed, those of this server are told as before, and the home
 * server of each of the others (member devices of other servers, and devices of accounts that just
 * left or were removed) is told (POST /federation/v1/communities/:communityId/updates), best effort:
 * a note that fails is logged, and the client reads its communities again when it reconnects anyway.
 */
export function installCommunityUpdates(ctx: FederationContext): CommunityUpdates {
  const { store } = ctx.service;
  const events = ctx.services.communityEvents;
  /** Tells sessions on this server (the unwrapped step). */
  const notifyHere = events.notify.bind(events);

  /** Tells each other server that `communityId` changed for its devices among `homes` (device → server). */
  const passOn = (communityId: string, homes: ReadonlyMap<string, string>) => {
    const byServer = new Map<string, string[]>();
    for (const [deviceId, server] of homes) byServer.set(server, [...(byServer.get(server) ?? []), deviceId]);
    for (const [server, ids] of byServer) {
      for (let i = 0; i < ids.length; i += 1000) {
        ctx.caller
          .request(server, "POST", `${FEDERATION_PREFIX}/communities/${communityId}/updates`, {
            body: { deviceIds: ids.slice(i, i + 1000) },
            response: FederationEmpty,
          })
          .catch((error: unknown) =>
            ctx.log.warn(
              { server, communityId, code: (error as VollyError).code },
              "federation: community update not delivered",
            ),
          );
      }
    }
  };

  events.notify = async (communityId, deviceIds) => {
    const homes = await store.federation.homesOf([...deviceIds]);
    await notifyHere(communityId, new Set([...deviceIds].filter((id) => !homes.has(id))));
    passOn(communityId, homes);
  };

  return {
    async receive(origin, communityId, { deviceIds }) {
      if ((await store.remoteCommunities.serverOf(communityId)) !== origin) {
        throw new VollyError("VOLLY_E_FORBIDDEN", "That community is not the calling server's.");
      }
      const remote = await store.federation.homesOf(deviceIds);
      const members = new Map<string, boolean>();
      const told = new Set<string>();
      for (const device of await store.devices.findMany(deviceIds)) {
        if (remote.has(device.id) || device.revokedAt !== undefined) continue;
        let member = members.get(device.accountId);
        if (member === undefined) {
          const joined = await store.remoteCommunities.list(device.accountId);
          member = joined.some((c) => c.communityId === communityId);
          members.set(device.accountId, member);
        }
        if (member) told.add(device.id);
      }
      await notifyHere(communityId, told);
    },
  };
}
