import { type FederatedCommunityCall, VollyError } from "@volly/protocol";
import type { CommunityRouteInput, CommunityRouteName } from "../services/communities/community-relay.js";
import type { AuthContext } from "../services/context.js";
import type { FederationContext } from "./federation-context.js";
import type { RemoteDirectory } from "./remote-directory.js";

/**
 * The community's server's side of communities with members from other servers: it runs the calls
 * their home servers relay, as for its own accounts (the channel groups they create are the hub's:
 * `HubService.createChannelGroup`).
 */
export interface CommunityCalls {
  /**
   * Runs a community route for an account of `origin` (looked up there when it is not known here as
   * one of `origin`'s), with every permission checked as for an account of this server.
   *
   * @returns the route's response
   * @throws VOLLY_E_FORBIDDEN (the account is not `origin`'s), and the route's errors
   */
  call(origin: string, call: FederatedCommunityCall): Promise<unknown>;
}

/**
 * Builds the {@link CommunityCalls}.
 *
 * @param handlers the community routes' handlers for communities hosted here
 */
export function createCommunityCalls(
  ctx: FederationContext,
  directory: RemoteDirectory,
  handlers: Record<CommunityRouteName, (input: CommunityRouteInput) => Promise<unknown>>,
): CommunityCalls {
  const { store } = ctx.service;
  const forbidden = () => new VollyError("VOLLY_E_FORBIDDEN", "That account is not of the calling server.");

  /** Whether `accountId` is known here as an account of `origin`. */
  const isOrigins = async (origin: string, accountId: string) =>
    (await store.federation.findRemoteAccount(accountId))?.server === origin;

  return {
    async call(origin, { account, route, params, body }) {
      if (!(await isOrigins(origin, account.accountId))) {
        // Its first call here (joining by invite), or it moved to `origin` since.
        await directory.lookup(account.handle, origin, 0).catch(() => undefined);
        if (!(await isOrigins(origin, account.accountId))) throw forbidden();
      }
      const stored = await store.accounts.findById(account.accountId);
      if (!stored) throw forbidden();
      const device = (await store.devices.listByAccount(account.accountId)).find(
        (d) => d.revokedAt === undefined,
      );
      return handlers[route]({
        params,
        body,
        auth: {
          accountId: stored.id,
          entityType: stored.entityType as AuthContext["entityType"],
          deviceId: device?.id ?? stored.id,
          handle: stored.handle,
        },
      });
    },
  };
}
