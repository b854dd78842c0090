import type { COMMUNITY_ROUTES } from "@volly/protocol";
import type { AuthContext } from "../context.js";

/** A community route's name (COMMUNITY_ROUTES of @volly/protocol). */
export type CommunityRouteName = keyof typeof COMMUNITY_ROUTES;

/** What a community route handler receives: raw params and body, and the authenticated device. */
export interface CommunityRouteInput {
  params: unknown;
  body: unknown;
  auth: AuthContext;
}

/**
 * Where a community call runs, when communities may live on other servers (set on the services by
 * the federation, `federation/community-relay.ts`): a call naming a community, channel or invite of
 * another server is relayed to that server on behalf of the caller's account; every other call runs
 * here.
 */
export interface CommunityRelay {
  /**
   * Runs community route `route` for `input.auth`'s account, relayed or by `local`.
   *
   * @returns the route's response (as `local` or the community's server answers it)
   * @throws the route's errors, and VOLLY_E_FEDERATION_UNREACHABLE when the community's server cannot be
   *   reached
   */
  handle(
    route: CommunityRouteName,
    input: CommunityRouteInput,
    local: (input: CommunityRouteInput) => Promise<unknown>,
  ): Promise<unknown>;
}
