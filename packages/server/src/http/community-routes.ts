import { COMMUNITY_ROUTES, parse, VollyError } from "@volly/protocol";
import type { CommunityRouteInput, CommunityRouteName } from "../services/communities/community-relay.js";
import type { Services } from "../services/services.js";

export type { CommunityRouteInput };

type CommunityHandlers = {
  [K in CommunityRouteName]: (input: CommunityRouteInput) => Promise<unknown>;
};

const R = COMMUNITY_ROUTES;

/**
 * The handlers of the community routes (COMMUNITY_ROUTES of @volly/protocol) as the HTTP API serves
 * them: each runs {@link localCommunityHandlers}' handler, or — when the federation set a
 * `communityRelay` on the services — lets it relay a call naming another server's community there.
 */
export function communityHandlers(services: Services): CommunityHandlers {
  const local = localCommunityHandlers(services);
  const names = Object.keys(local) as CommunityRouteName[];
  return Object.fromEntries(
    names.map((name) => [
      name,
      (input: CommunityRouteInput) =>
        services.communityRelay
          ? services.communityRelay.handle(name, input, local[name])
          : local[name](input),
    ]),
  ) as CommunityHandlers;
}

/** An invite of another server, when no federation runs here (the relay answers them otherwise). */
const unreachable = (server: string) =>
  new VollyError(
    "VOLLY_E_COMMUNITY_INVITE_INVALID",
    "Communities of other servers are not reachable from this server (federation is off).",
    { server },
  );

/**
 * The handlers of the community routes for communities hosted here: each validates its params and
 * body against the route's schemas (→ VOLLY_E_BAD_REQUEST), then calls a community service with the
 * caller's account. The `…Remote…` invite routes are refused (they are the relay's).
 */
export function localCommunityHandlers(services: Services): CommunityHandlers {
  const { communities, channels, roles, moderation } = services;
  return {
    createCommunity: async ({ body, auth }) =>
      communities.create(auth.accountId, parse(R.createCommunity.body, body)),
    listCommunities: async ({ auth }) => communities.list(auth.accountId),
    getCommunity: async ({ params, auth }) =>
      communities.get(auth.accountId, parse(R.getCommunity.params, params).communityId),
    updateCommunity: async ({ params, body, auth }) =>
      communities.update(
        auth.accountId,
        parse(R.updateCommunity.params, params).communityId,
        parse(R.updateCommunity.body, body),
      ),
    deleteCommunity: async ({ params, auth }) =>
      communities.delete(auth.accountId, parse(R.deleteCommunity.params, params).communityId),
    leaveCommunity: async ({ params, auth }) =>
      communities.leave(auth.accountId, parse(R.leaveCommunity.params, params).communityId),
    transferOwnership: async ({ params, body, auth }) =>
      communities.transferOwnership(
        auth.accountId,
        parse(R.transferOwnership.params, params).communityId,
        parse(R.transferOwnership.body, body).accountId,
      ),
    createChannel: async ({ params, body, auth }) =>
      channels.create(
        auth.accountId,
        parse(R.createChannel.params, params).communityId,
        parse(R.createChannel.body, body),
      ),
    updateChannel: async ({ params, body, auth }) =>
      channels.update(
        auth.accountId,
        parse(R.updateChannel.params, params).channelId,
        parse(R.updateChannel.body, body),
      ),
    deleteChannel: async ({ params, auth }) =>
      channels.delete(auth.accountId, parse(R.deleteChannel.params, params).channelId),
    setOverwrite: async ({ params, body, auth }) => {
      const { channelId, targetId } = parse(R.setOverwrite.params, params);
      return channels.setOverwrite(auth.accountId, channelId, targetId, parse(R.setOverwrite.body, body));
    },
    deleteOverwrite: async ({ params, auth }) => {
      const { channelId, targetId } = parse(R.deleteOverwrite.params, params);
      return channels.deleteOverwrite(auth.accountId, channelId, targetId);
    },
    createRole: async ({ params, body, auth }) =>
      roles.create(
        auth.accountId,
        parse(R.createRole.params, params).communityId,
        parse(R.createRole.body, body),
      ),
    updateRole: async ({ params, body, auth }) => {
      const { communityId, roleId } = parse(R.updateRole.params, params);
      return roles.update(auth.accountId, communityId, roleId, parse(R.updateRole.body, body));
    },
    deleteRole: async ({ params, auth }) => {
      const { communityId, roleId } = parse(R.deleteRole.params, params);
      return roles.delete(auth.accountId, communityId, roleId);
    },
    addMemberRole: async ({ params, auth }) => {
      const { communityId, accountId, roleId } = parse(R.addMemberRole.params, params);
      return roles.assign(auth.accountId, communityId, accountId, roleId);
    },
    removeMemberRole: async ({ params, auth }) => {
      const { communityId, accountId, roleId } = parse(R.removeMemberRole.params, params);
      return roles.unassign(auth.accountId, communityId, accountId, roleId);
    },
    kickMember: async ({ params, body, auth }) => {
      const { communityId, accountId } = parse(R.kickMember.params, params);
      return moderation.kick(auth.accountId, communityId, accountId, parse(R.kickMember.body, body).reason);
    },
    timeoutMember: async ({ params, body, auth }) => {
      const { communityId, accountId } = parse(R.timeoutMember.params, params);
      const { durationMs, reason } = parse(R.timeoutMember.body, body);
      return moderation.timeout(auth.accountId, communityId, accountId, durationMs, reason);
    },
    banMember: async ({ params, body, auth }) => {
      const { communityId } = parse(R.banMember.params, params);
      const { accountId, reason } = parse(R.banMember.body, body);
      return moderation.ban(auth.accountId, communityId, accountId, reason);
    },
    unbanMember: async ({ params, auth }) => {
      const { communityId, accountId } = parse(R.unbanMember.params, params);
      return moderation.unban(auth.accountId, communityId, accountId);
    },
    listBans: async ({ params, auth }) =>
      moderation.listBans(auth.accountId, parse(R.listBans.params, params).communityId),
    createCommunityInvite: async ({ params, body, auth }) =>
      communities.createInvite(
        auth.accountId,
        parse(R.createCommunityInvite.params, params).communityId,
        parse(R.createCommunityInvite.body, body),
      ),
    listCommunityInvites: async ({ params, auth }) =>
      communities.listInvites(auth.accountId, parse(R.listCommunityInvites.params, params).communityId),
    revokeCommunityInvite: async ({ params, auth }) => {
      const { communityId, code } = parse(R.revokeCommunityInvite.params, params);
      return communities.revokeInvite(auth.accountId, communityId, code);
    },
    previewCommunityInvite: async ({ params }) =>
      communities.previewInvite(parse(R.previewCommunityInvite.params, params).code),
    joinCommunity: async ({ params, auth }) =>
      communities.join(auth.accountId, parse(R.joinCommunity.params, params).code),
    previewRemoteCommunityInvite: async ({ params }) => {
      throw unreachable(parse(R.previewRemoteCommunityInvite.params, params).server);
    },
    joinRemoteCommunity: async ({ params }) => {
      throw unreachable(parse(R.joinRemoteCommunity.params, params).server);
    },
    getAuditLog: async ({ params, auth }) =>
      moderation.auditLog(auth.accountId, parse(R.getAuditLog.params, params).communityId),
  };
}
