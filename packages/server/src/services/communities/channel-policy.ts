import { hasPermission, type MessageDeclaration, type PermissionName, VollyError } from "@volly/protocol";
import type { Repositories } from "../../store/types.js";
import { requireMembership } from "../groups/membership.js";
import type { MembershipPolicy, PolicyGroup } from "../groups/membership-policy.js";
import { channelPermissionsOf, subjectOf } from "./community-access.js";

/** The permission each thing a message declares it carries needs (`SendMessageBody.declares`). */
const DECLARATION_PERMISSIONS: Record<MessageDeclaration, PermissionName> = {
  attachment: "ATTACH_FILES",
  "mention-everyone": "MENTION_EVERYONE",
};

/** Most member devices a channel's group may hold: 500 members with 4 devices each (issue 12). */
export const CHANNEL_MAX_DEVICES = 2_000;

/**
 * An account's permissions in the channel a group carries, or undefined when the account is not a
 * member of the channel's community (or the group carries no channel).
 */
async function accountChannelPermissions(
  tx: Repositories,
  groupId: string,
  accountId: string,
  now: number,
): Promise<number | undefined> {
  const channel = await tx.communities.findChannelByGroup(groupId);
  if (!channel) return undefined;
  const community = await tx.communities.find(channel.communityId);
  const member = community && (await tx.communities.findMember(channel.communityId, accountId));
  if (!community || !member) return undefined;
  const roles = await tx.communities.listRoles(channel.communityId);
  const overwrites = await tx.communities.listOverwrites(channel.id);
  return channelPermissionsOf(subjectOf(community, member, roles), overwrites, now);
}

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
  const permissionsOfDevice = async (tx: Repositories, group: PolicyGroup, deviceId: string) => {
    const device = await tx.devices.findById(deviceId);
    return device && accountChannelPermissions(tx, group.id, device.accountId, now());
  };
  return {
    name: "community-channel",
    maxDevices: CHANNEL_MAX_DEVICES,
    externalJoin: true,

    async authorizeView(deviceId, group, tx) {
      const permissions = await permissionsOfDevice(tx, group, deviceId);
      if (permissions === undefined || !hasPermission(permissions, "VIEW_CHANNEL")) {
        throw new VollyError("VOLLY_E_NOT_GROUP_MEMBER", undefined, { groupId: group.id });
      }
    },

    async authorizeSend(deviceId, group, tx, declares = []) {
      await requireMembership(tx, deviceId, group.id);
      const permissions = (await permissionsOfDevice(tx, group, deviceId)) ?? 0;
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
      const mayView = async (deviceId: string) => {
        const permissions = await permissionsOfDevice(tx, group, deviceId);
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
