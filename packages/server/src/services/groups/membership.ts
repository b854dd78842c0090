import { VollyError } from "@volly/protocol";
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
