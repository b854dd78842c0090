import {
  type FederatedCommunityCall,
  type FederatedGroupCreation,
  type GroupResponse,
  VollyError,
} from "@volly/protocol";
import type { CommunityRouteInput, CommunityRouteName } from "../services/communities/community-relay.js";
import type { AuthContext } from "../services/context.js";
import type { FederationContext } from "./federation-context.js";
import type { RemoteDirectory } from "./remote-directory.js";

/**
 * The community's server's side of communities with members from other servers: it runs the calls
 * their home servers relay, as for its own accounts, and hosts the channel groups they create.
 */
export interface CommunityCalls {
  /**
   * Runs a community route for an account of `origin` (looked up there when it is not known here as
   * one of `origin`'s), with every permission checked as for an account of this server.
   *
   * @returns the route's response
   * @throws VOLLY_E_FORBIDDEN (the account is not `origin`'s), the lookup's errors, and the route's
   */
  call(origin: string, call: FederatedCommunityCall): Promise<unknown>;
  /**
   * Creates the MLS group of a channel of a community hosted here for a device of `origin`, as
   * POST /v1/groups does for a device of this server (the group is then hosted here).
   *
   * @throws VOLLY_E_FORBIDDEN (not `origin`'s device), VOLLY_E_BAD_REQUEST (no channelId), and
   *   createGroup's errors (VOLLY_E_UNKNOWN_CHANNEL, VOLLY_E_GROUP_EXISTS, …)
   */
  createChannelGroup(origin: string, creation: FederatedGroupCreation): Promise<GroupResponse>;
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

    async createChannelGroup(origin, { deviceId, group }) {
      if ((await store.federation.homesOf([deviceId])).get(deviceId) !== origin) {
        throw new VollyError("VOLLY_E_FORBIDDEN", "That device is not of the calling server.");
      }
      if (group.channelId === undefined) {
        throw new VollyError("VOLLY_E_BAD_REQUEST", "Only a channel's group is created at another server.", {
          field: "channelId",
        });
      }
      return ctx.services.groups.createGroup(deviceId, group);
    },
  };
}
