/**
 * The UI's view of a community: the SDK's {@link CommunityResponse} with its permission sets also
 * as names, resolved here in the worker with @volly/protocol's permission code, so the UI thread
 * never parses Discord's bitfields (nor loads the protocol's schemas).
 */
import { hasPermission, type PermissionName, parsePermissions, permissionNamesOf } from "@volly/protocol";
import type { CommunityResponse, CommunityView } from "./rpc-types.js";

const names = (bits: string): PermissionName[] => permissionNamesOf(parsePermissions(bits));

/** A community as the UI reads it: `myPermissionNames`, each role's and overwrite's names, private channels. */
export function communityView(community: CommunityResponse): CommunityView {
  return {
    ...community,
    myPermissionNames: names(community.myPermissions),
    roles: community.roles.map((role) => ({ ...role, permissionNames: names(role.permissions) })),
    channels: community.channels.map((channel) => {
      const everyone = channel.overwrites.find((o) => o.type === "role" && o.id === community.communityId);
      return {
        ...channel,
        myPermissionNames: names(channel.myPermissions),
        private: everyone !== undefined && hasPermission(parsePermissions(everyone.deny), "VIEW_CHANNEL"),
        overwrites: channel.overwrites.map((o) => ({
          ...o,
          allowNames: names(o.allow),
          denyNames: names(o.deny),
        })),
      };
    }),
  };
}
