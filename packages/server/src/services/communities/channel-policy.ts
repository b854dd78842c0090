import { hasPermission, type MessageDeclaration, type PermissionName, VollyError } from "@volly/protocol";
import type { Repositories } from "../../store/types.js";
import { requireMembership } from "../groups/membership.js";
import type { MembershipPolicy, PolicyGroup } from "../groups/membership-policy.js";
import { accountPermissionsIn, type ChannelRoles, channelRolesOf } from "./community-access.js";

/** The permission each thing a message declares it carries needs (`SendMessageBody.declares`). */
const DECLARATION_PERMISSIONS: Record<MessageDeclaration, PermissionName> = {
  attachment: "ATTACH_FILES",
  "mention-everyone": "MENTION_EVERYONE",
};

/** Most member devices a channel's group may hold: 500 members with 4 devices each (issue 12). */
export const CHANNEL_MAX_DEVICES = 2_000;

/**
 * The "community-channel" membership policy (DESIGN.md "Communities, on MLS"): a channel's MLS group
 * follows the channel's permissions, resolved on the server from the community's role table.
 *
 * - See the group (and its GroupInfo): a device whose account may VIEW_CHANNEL; such a device joins
 *   by external commit (RFC 9420 §12.4.3.2), so nobody else needs to be online to let it in.
 * - Send: a current member device whose account has SEND_MESSAGES there (a timeout takes it away),
 *   and ATTACH_FILES / MENTION_EVERYONE for a message that declares an attachment / @everyone.
 * - Commit: adds only devices whose accounts may VIEW_CHANNEL; removes a device of the committer's own
 *   account, a device whose membership already ended (the server departs devices whose accounts lose
 *   access), or a device whose account may no longer view the channel.
 * - Admin grants: none; roles are the community's.
 *
 * @param now the clock timeouts are compared with (ms)
 */
export function createChannelPolicy(now: () => number): MembershipPolicy {
  const forbidden = (group: PolicyGroup, permission: string, extra: Record<string, unknown> = {}) =>
    new VollyError("VOLLY_E_FORBIDDEN", `This needs ${permission}.`, {
      permission,
      groupId: group.id,
      ...extra,
    });
  /** A device's account's permissions in the channel; undefined for a non-member (or no channel). */
  const permissionsOfDevice = async (tx: Repositories, roles: ChannelRoles | undefined, deviceId: string) => {
    const device = roles && (await tx.devices.findById(deviceId));
    return device && accountPermissionsIn(tx, roles, device.accountId, now());
  };
  return {
    name: "community-channel",
    maxDevices: CHANNEL_MAX_DEVICES,
    externalJoin: true,

    async authorizeView(deviceId, group, tx) {
      const permissions = await permissionsOfDevice(tx, await channelRolesOf(tx, group.id), deviceId);
      if (permissions === undefined || !hasPermission(permissions, "VIEW_CHANNEL")) {
        throw new VollyError("VOLLY_E_NOT_GROUP_MEMBER", undefined, { groupId: group.id });
      }
    },

    async authorizeSend(deviceId, group, tx, declares = []) {
      await requireMembership(tx, deviceId, group.id);
      const permissions = (await permissionsOfDevice(tx, await channelRolesOf(tx, group.id), deviceId)) ?? 0;
      if (!hasPermission(permissions, "VIEW_CHANNEL")) {
        throw new VollyError("VOLLY_E_NOT_GROUP_MEMBER", undefined, { groupId: group.id });
      }
      if (!hasPermission(permissions, "SEND_MESSAGES")) throw forbidden(group, "SEND_MESSAGES");
      for (const declared of declares) {
        const needed = DECLARATION_PERMISSIONS[declared];
        if (!hasPermission(permissions, needed)) throw forbidden(group, needed);
      }
    },

    async authorizeCommit({ group, committerDeviceId, addDeviceIds, removeDeviceIds }, tx) {
      const committer = await tx.devices.findById(committerDeviceId);
      const roles = await channelRolesOf(tx, group.id); // read once for every device the commit names
      const mayView = async (deviceId: string) => {
        const permissions = await permissionsOfDevice(tx, roles, deviceId);
        return permissions !== undefined && hasPermission(permissions, "VIEW_CHANNEL");
      };
      for (const id of addDeviceIds) {
        if (!(await mayView(id))) throw forbidden(group, "VIEW_CHANNEL", { deviceId: id });
      }
      for (const id of removeDeviceIds) {
        const membership = await tx.groups.findMembership(group.id, id);
        if (membership && membership.leftSeq !== null) continue;
        if ((await tx.devices.findById(id))?.accountId === committer?.accountId) continue;
        if (await mayView(id)) throw forbidden(group, "KICK_MEMBERS", { deviceId: id });
      }
    },

    async authorizeAdminGrant({ group }) {
      throw new VollyError("VOLLY_E_FORBIDDEN", "A channel has no admins: roles decide.", {
        permission: "MANAGE_ROLES",
        groupId: group.id,
      });
    },
  };
}
