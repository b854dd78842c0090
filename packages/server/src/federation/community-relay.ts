import type { TSchema } from "@sinclair/typebox";
import {
  COMMUNITY_ROUTES,
  type CommunityListResponse,
  FEDERATION_PREFIX,
  handleAsSeenBy,
  parse,
  parseHandle,
  type RelayedCommunityRoute,
  VollyError,
} from "@volly/protocol";
import type {
  CommunityRelay,
  CommunityRouteInput,
  CommunityRouteName,
} from "../services/communities/community-relay.js";
import type { FederationContext } from "./federation-context.js";

/** A community as a route answers it: its id, and its channels with their groups. */
interface CommunityLike {
  communityId: string;
  channels: { channelId: string; groupId?: string }[];
}
const isCommunity = (value: unknown): value is CommunityLike =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as CommunityLike).communityId === "string" &&
  Array.isArray((value as CommunityLike).channels);
const isChannel = (value: unknown): value is { channelId: string; groupId?: string } =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as { channelId?: unknown }).channelId === "string";

/**
 * `value` (an answer of `hub`) with every `handle` in it as this server names that account: the
 * hub's own accounts gain `@hub`, this server's lose `@<this server>`, a third server's stay.
 */
function requalified(value: unknown, hub: string, own: string): unknown {
  if (Array.isArray(value)) return value.map((item) => requalified(item, hub, own));
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => {
      if (key !== "handle" || typeof item !== "string") return [key, requalified(item, hub, own)];
      const parts = parseHandle(item);
      if (!parts) return [key, item];
      return [key, handleAsSeenBy(`${parts.user}@${parts.server ?? hub}`, own)];
    }),
  );
}

/** The routes whose success ends the caller's membership of the community they name. */
const ENDS_MEMBERSHIP = new Set<CommunityRouteName>(["leaveCommunity", "deleteCommunity"]);

/**
 * Builds the home server's {@link CommunityRelay} (`docs/architecture.md` "Federation", communities
 * across servers) and sets it on the services:
 *
 * - a call naming a community, channel or invite of another server (known from that server's earlier
 *   answers, `federation_community_refs`; an invite by the server the link names) is validated here,
 *   then made at that server on behalf of the caller's account (POST /federation/v1/communities/calls)
 *   and answered with its validated answer, its handles as this server names those accounts;
 *   communities in it are marked with their `server`;
 * - what the answers name (the community, its channels and channel groups) is recorded as that
 *   server's (never an id of this server's own, nor one another server named first), and the
 *   account's memberships of other servers' communities are kept (`federation_communities`) from
 *   its joins, leaves and lists, and from a VOLLY_E_UNKNOWN_COMMUNITY;
 * - listing an account's communities lists those hosted here and asks each server hosting one of the
 *   others (a server that cannot be reached is left out of the list, with a warning);
 * - every other call (creating a community, one hosted here) runs here.
 *
 * @param localHandlers the community routes' handlers for communities hosted here (an invite naming
 *   this server runs as `joinCommunity` / `previewCommunityInvite` by them)
 */
export function installCommunityRelay(
  ctx: FederationContext,
  localHandlers: Record<CommunityRouteName, (input: CommunityRouteInput) => Promise<unknown>>,
): CommunityRelay {
  const { store } = ctx.service;

  /**
   * Records that `server` hosts `ids`. Ids recorded already (for any server) are left as they are,
   * and ids of this server's own communities, channels and groups are never recorded: another
   * server naming one cannot divert this server's calls to itself. One read when all are known.
   */
  const putRefs = async (server: string, ids: readonly string[]) => {
    const known = await store.remoteCommunities.serversOf(ids);
    const foreign: string[] = [];
    for (const id of ids) {
      if (known.has(id)) continue;
      const local =
        (await store.communities.find(id)) ??
        (await store.communities.findChannel(id)) ??
        (await store.groups.find(id));
      if (!local) foreign.push(id);
    }
    await store.remoteCommunities.putRefs(server, foreign);
  };

  /** Records what `server`'s answer to `route` names, and what it says of the caller's membership. */
  const learn = async (
    server: string,
    route: RelayedCommunityRoute,
    accountId: string,
    params: Record<string, string>,
    result: unknown,
  ) => {
    if (isCommunity(result)) {
      const ids = [result.communityId];
      for (const channel of result.channels) {
        ids.push(channel.channelId);
        if (channel.groupId !== undefined) ids.push(channel.groupId);
      }
      await putRefs(server, ids);
      // Membership starts with a join; the other answers about a community only confirm it.
      if (
        route === "joinCommunity" &&
        (await store.remoteCommunities.serverOf(result.communityId)) === server
      ) {
        await store.remoteCommunities.join(accountId, result.communityId, server);
      }
    } else if (isChannel(result)) {
      await putRefs(
        server,
        result.groupId === undefined ? [result.channelId] : [result.channelId, result.groupId],
      );
    }
    if (ENDS_MEMBERSHIP.has(route) && params.communityId !== undefined) {
      await store.remoteCommunities.leave(accountId, params.communityId);
    }
  };

  /** Makes `route` at `server` for the caller's account; validated here first, and its answer too. */
  const call = async (server: string, route: RelayedCommunityRoute, input: CommunityRouteInput) => {
    const spec: { params?: TSchema; body?: TSchema; response: TSchema } = COMMUNITY_ROUTES[route];
    const params = (spec.params ? parse(spec.params, input.params) : {}) as Record<string, string>;
    const body = spec.body ? parse(spec.body, input.body) : undefined;
    const { accountId, handle } = input.auth;
    let result: unknown;
    try {
      result = await ctx.caller.request(server, "POST", `${FEDERATION_PREFIX}/communities/calls`, {
        body: { account: { accountId, handle }, route, params, ...(body !== undefined ? { body } : {}) },
        response: spec.response,
      });
    } catch (error) {
      if (
        error instanceof VollyError &&
        error.code === "VOLLY_E_UNKNOWN_COMMUNITY" &&
        params.communityId !== undefined
      ) {
        await store.remoteCommunities.leave(accountId, params.communityId);
      }
      throw error;
    }
    await learn(server, route, accountId, params, result);
    const named = requalified(result, server, ctx.serverName);
    return isCommunity(named) ? { ...named, server } : named;
  };

  /** The caller's communities: those hosted here, then those of each other server it is in. */
  const listAll = async (input: CommunityRouteInput, local: () => Promise<unknown>) => {
    const { accountId } = input.auth;
    const own = (await local()) as CommunityListResponse;
    const servers = new Map<string, Set<string>>();
    for (const { communityId, server } of await store.remoteCommunities.list(accountId)) {
      servers.set(server, (servers.get(server) ?? new Set()).add(communityId));
    }
    const communities = [...own.communities];
    for (const [server, ids] of servers) {
      try {
        const answer = (await call(server, "listCommunities", input)) as CommunityListResponse;
        const listed = new Set(answer.communities.map((c) => c.communityId));
        for (const id of ids) if (!listed.has(id)) await store.remoteCommunities.leave(accountId, id);
        for (const c of answer.communities) if (ids.has(c.communityId)) communities.push({ ...c, server });
      } catch (error) {
        ctx.log.warn(
          { server, code: (error as VollyError).code },
          "federation: communities of a server left out of a list",
        );
      }
    }
    return { communities };
  };

  /** The server hosting what a call names, when another server hosts it. */
  const hostOf = async (params: unknown): Promise<string | undefined> => {
    const named = (params ?? {}) as { communityId?: unknown; channelId?: unknown };
    const id =
      typeof named.communityId === "string"
        ? named.communityId
        : typeof named.channelId === "string"
          ? named.channelId
          : undefined;
    return id === undefined ? undefined : store.remoteCommunities.serverOf(id);
  };

  const relay: CommunityRelay = {
    async handle(route, input, local) {
      if (route === "listCommunities") return listAll(input, () => local(input));
      if (route === "previewRemoteCommunityInvite" || route === "joinRemoteCommunity") {
        const { server, code } = parse(COMMUNITY_ROUTES[route].params, input.params);
        const named = route === "joinRemoteCommunity" ? "joinCommunity" : "previewCommunityInvite";
        const forwarded = { ...input, params: { code } };
        return server === ctx.serverName ? localHandlers[named](forwarded) : call(server, named, forwarded);
      }
      if (route === "createCommunity") return local(input); // a community is created where its creator is
      const server = await hostOf(input.params);
      return server === undefined ? local(input) : call(server, route, input);
    },
  };
  ctx.services.communityRelay = relay;
  return relay;
}
