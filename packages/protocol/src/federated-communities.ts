import { type Static, Type } from "@sinclair/typebox";
import { Id, LocalHandle } from "./common.js";
import { COMMUNITY_ROUTES } from "./communities.js";
import { CreateGroupBody } from "./rest.js";

/**
 * Communities with members from other servers (issue 18, `docs/architecture.md` "Federation"). A
 * community lives on the server it was created on, which alone keeps its structure, roles and
 * members and checks every permission, as for its own accounts; its channels' MLS groups are hosted
 * there too. A member's home server relays the member's community calls to it (signed, on behalf of
 * the account), creates channel groups there, and passes its COMMUNITY_UPDATEs on to the member's
 * devices.
 */

/** The community routes that are never relayed as themselves (see {@link RELAYED_COMMUNITY_ROUTES}). */
const NOT_RELAYED = ["createCommunity", "previewRemoteCommunityInvite", "joinRemoteCommunity"] as const;
/**
 * The community routes a home server relays to the community's server: every route of
 * COMMUNITY_ROUTES that names an existing community, channel or invite. `createCommunity` is not:
 * a community is created on its creator's server; the two `…Remote…` invite routes are relayed as
 * `previewCommunityInvite` and `joinCommunity`.
 */
export type RelayedCommunityRoute = Exclude<keyof typeof COMMUNITY_ROUTES, (typeof NOT_RELAYED)[number]>;
/** {@link RelayedCommunityRoute}'s names, sorted (the schema's union). */
export const RELAYED_COMMUNITY_ROUTES = (Object.keys(COMMUNITY_ROUTES) as (keyof typeof COMMUNITY_ROUTES)[])
  .filter((name): name is RelayedCommunityRoute => !(NOT_RELAYED as readonly string[]).includes(name))
  .sort();

/**
 * Body of POST /federation/v1/communities/calls: a community route called by an account of the
 * calling server. The community's server looks the account up at the calling server when it does not
 * know it yet, then runs the route as for its own accounts: `params` and `body` are validated against
 * that route's schemas there, and the answer is the route's response.
 */
export const FederatedCommunityCall = Type.Object(
  {
    /** The calling account, of the calling server (its handle there, bare). */
    account: Type.Object({ accountId: Id, handle: LocalHandle }, { additionalProperties: false }),
    route: Type.Union(RELAYED_COMMUNITY_ROUTES.map((name) => Type.Literal(name))),
    params: Type.Record(Type.String({ maxLength: 32 }), Type.String({ maxLength: 300 }), {
      maxProperties: 4,
    }),
    body: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);
export type FederatedCommunityCall = Static<typeof FederatedCommunityCall>;

/** A community id in a federation route's path. */
export const FederatedCommunityParams = Type.Object({ communityId: Id }, { additionalProperties: false });

/**
 * Body of POST /federation/v1/communities/:communityId/updates, from the community's server to a
 * member's home server: the community changed (gateway COMMUNITY_UPDATE) for these devices of the
 * home server (members, and accounts that just left or were removed).
 */
export const FederatedCommunityUpdate = Type.Object(
  { deviceIds: Type.Array(Id, { minItems: 1, maxItems: 1000 }) },
  { additionalProperties: false },
);
export type FederatedCommunityUpdate = Static<typeof FederatedCommunityUpdate>;

/**
 * Body of POST /federation/v1/groups: a device of the calling server creates the MLS group of a
 * channel of a community the called server hosts (the group's hub is the community's server, so it
 * can hold the group's membership to VIEW_CHANNEL). Answered as POST /v1/groups.
 */
export const FederatedGroupCreation = Type.Object(
  { deviceId: Id, group: CreateGroupBody },
  { additionalProperties: false },
);
export type FederatedGroupCreation = Static<typeof FederatedGroupCreation>;
