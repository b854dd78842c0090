import { FEDERATION_PREFIX, GroupResponse, type VollyError } from "@volly/protocol";
import type { FederationContext } from "./federation-context.js";
import type { LogMirror } from "./log-mirror.js";

/**
 * Makes group creation federation-aware, in place: the group of a channel of a community another
 * server hosts is created there (POST /federation/v1/groups, so the community's server is its hub
 * and holds its membership to VIEW_CHANNEL), then mirrored here like any group hosted elsewhere.
 * Other groups are created here, as before.
 */
export function installChannelGroupRelay(ctx: FederationContext, mirror: LogMirror): void {
  const { store } = ctx.service;
  const { groups } = ctx.services;
  const create = groups.createGroup.bind(groups);
  groups.createGroup = async (deviceId, body) => {
    const hub =
      body.channelId === undefined ? undefined : await store.remoteCommunities.serverOf(body.channelId);
    if (hub === undefined) return create(deviceId, body);
    const created = await ctx.caller.request<GroupResponse>(hub, "POST", `${FEDERATION_PREFIX}/groups`, {
      body: { deviceId, group: body },
      response: GroupResponse,
    });
    await store.remoteCommunities.putRefs(hub, [body.groupId]);
    await mirror.follow(body.groupId, hub);
    await mirror
      .sync(body.groupId)
      .catch((error: unknown) =>
        ctx.log.warn(
          { groupId: body.groupId, code: (error as VollyError).code },
          "federation: catch-up after a channel group's creation failed",
        ),
      );
    return created;
  };
}
