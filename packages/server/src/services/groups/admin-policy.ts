import { LIMITS, VollyError } from "@volly/protocol";
import { requireMembership } from "./membership.js";
import type { MembershipPolicy } from "./membership-policy.js";

/**
 * The "admin" membership policy, followed by every group devices create: direct conversations,
 * groups and the account-sync conversation.
 *
 * - See, commit to, send to: current member devices only (a device whose membership ended — removed
 *   or departed — is not a member); a device restored with the account's recovery key may also see
 *   the groups its account's lost devices were in, and join them by external commit
 *   (`account-recovery.ts`).
 * - Membership changes: any member may add and remove its own account's devices, and remove a device
 *   whose membership already ended (departures and revocations must be committable by whoever is
 *   online); adding or removing another account's devices needs the committer's account to be an
 *   admin. The creator's account is the first admin.
 * - Granting admin: admins only, to an account with a current member device.
 * - Size: {@link LIMITS.maxGroupDevices} devices.
 *
 * What a dedicated direct-conversation policy would change (the server cannot tell a DM from a
 * group today: both are created by POST /v1/groups): at most two accounts — here the creator, being
 * admin, may add a third account's devices, and clients then stop showing the conversation as direct
 * — and no admin grants, so neither side can remove the other's devices. The account-sync
 * conversation (group id = account id) could likewise refuse other accounts' devices outright; today
 * clients apply its content only when every leaf carries the account's own credential.
 */
export const adminPolicy: MembershipPolicy = {
  name: "admin",
  maxDevices: LIMITS.maxGroupDevices,
  externalJoin: false,

  async authorizeView(deviceId, group, tx) {
    try {
      await requireMembership(tx, deviceId, group.id);
    } catch (error) {
      // A device restored with the account's recovery key may see (and join) its lost devices' groups.
      if (await tx.accountRecovery.hasRejoin(deviceId, group.id)) return;
      throw error;
    }
  },

  async authorizeSend(deviceId, group, tx) {
    await requireMembership(tx, deviceId, group.id);
  },

  deferSendCheck(deviceId, group, deferred) {
    deferred.requireMembership(group.id, deviceId);
    return true;
  },

  async authorizeCommit({ group, committerDeviceId, addDeviceIds, removeDeviceIds }, tx) {
    if (addDeviceIds.length === 0 && removeDeviceIds.length === 0) return;
    const committer = await tx.devices.findById(committerDeviceId);
    const accountId = committer?.accountId;
    const needsAdmin = async (): Promise<string | undefined> => {
      for (const id of addDeviceIds) {
        if ((await tx.devices.findById(id))?.accountId !== accountId) return id;
      }
      for (const id of removeDeviceIds) {
        const membership = await tx.groups.findMembership(group.id, id);
        if (membership && membership.leftSeq !== null) continue;
        if ((await tx.devices.findById(id))?.accountId !== accountId) return id;
      }
      return undefined;
    };
    const deviceId = await needsAdmin();
    if (deviceId === undefined) return;
    if (accountId !== undefined && (await tx.groupState.isAdmin(group.id, accountId))) return;
    throw new VollyError("VOLLY_E_NOT_GROUP_ADMIN", undefined, { groupId: group.id, deviceId });
  },

  async authorizeAdminGrant({ group, granterDeviceId, accountId }, tx) {
    const granter = await tx.devices.findById(granterDeviceId);
    if (!granter || !(await tx.groupState.isAdmin(group.id, granter.accountId))) {
      throw new VollyError("VOLLY_E_NOT_GROUP_ADMIN", undefined, { groupId: group.id });
    }
    const members = new Set(await tx.groups.listMembers(group.id));
    const devices = await tx.devices.listByAccount(accountId);
    if (!devices.some((d) => members.has(d.id))) {
      throw new VollyError("VOLLY_E_BAD_REQUEST", "The account has no member device in the group.", {
        accountId,
      });
    }
  },
};
