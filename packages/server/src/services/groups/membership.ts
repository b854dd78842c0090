import { type CommitBody, VollyError } from "@volly/protocol";
import type { GroupRecord, MembershipRecord, Repositories } from "../../store/types.js";

/**
 * Loads a group and the device's current membership in it. A device whose membership ended (removed
 * by a commit, or departed) is not a member: it may not send, commit, type or look the group up.
 *
 * @throws VOLLY_E_UNKNOWN_GROUP (details.groupId), VOLLY_E_NOT_GROUP_MEMBER (details.groupId)
 */
export async function requireMember(
  tx: Repositories,
  deviceId: string,
  groupId: string,
): Promise<{ group: GroupRecord; membership: MembershipRecord }> {
  const group = await tx.groups.find(groupId);
  if (!group) throw new VollyError("VOLLY_E_UNKNOWN_GROUP", undefined, { groupId });
  const membership = await tx.groups.findMembership(groupId, deviceId);
  if (!membership || membership.leftSeq !== null) {
    throw new VollyError("VOLLY_E_NOT_GROUP_MEMBER", undefined, { groupId });
  }
  return { group, membership };
}

/**
 * Like {@link requireMember} without loading the group (one query): the device has a current
 * membership. A group that does not exist has no memberships, so it reports VOLLY_E_NOT_GROUP_MEMBER
 * unless the group is looked up to tell VOLLY_E_UNKNOWN_GROUP apart (only then, on failure).
 *
 * @throws VOLLY_E_UNKNOWN_GROUP (details.groupId), VOLLY_E_NOT_GROUP_MEMBER (details.groupId)
 */
export async function requireMembership(
  tx: Repositories,
  deviceId: string,
  groupId: string,
): Promise<MembershipRecord> {
  const membership = await tx.groups.findMembership(groupId, deviceId);
  if (membership && membership.leftSeq === null) return membership;
  if (!(await tx.groups.find(groupId))) throw new VollyError("VOLLY_E_UNKNOWN_GROUP", undefined, { groupId });
  throw new VollyError("VOLLY_E_NOT_GROUP_MEMBER", undefined, { groupId });
}

/**
 * Checks that the committer may make the membership change a commit declares: adding or removing a
 * device of another account needs the committer's account to be a group admin. Exempt: devices of
 * the committer's own account, and removing a device whose membership already ended (departures and
 * revocations must be committable by any member). Call inside the commit's transaction, after the
 * group row is locked.
 *
 * @throws VOLLY_E_NOT_GROUP_ADMIN (details.groupId, details.deviceId: the first device needing it)
 */
export async function requireAdminFor(
  tx: Repositories,
  committerDeviceId: string,
  groupId: string,
  body: Pick<CommitBody, "addDeviceIds" | "removeDeviceIds">,
): Promise<void> {
  if (body.addDeviceIds.length === 0 && body.removeDeviceIds.length === 0) return;
  const committer = await tx.devices.findById(committerDeviceId);
  const accountId = committer?.accountId;
  const needsAdmin = async (): Promise<string | undefined> => {
    for (const id of body.addDeviceIds) {
      if ((await tx.devices.findById(id))?.accountId !== accountId) return id;
    }
    for (const id of body.removeDeviceIds) {
      const membership = await tx.groups.findMembership(groupId, id);
      if (membership && membership.leftSeq !== null) continue;
      if ((await tx.devices.findById(id))?.accountId !== accountId) return id;
    }
    return undefined;
  };
  const deviceId = await needsAdmin();
  if (deviceId === undefined) return;
  if (accountId !== undefined && (await tx.groupState.isAdmin(groupId, accountId))) return;
  throw new VollyError("VOLLY_E_NOT_GROUP_ADMIN", undefined, { groupId, deviceId });
}
