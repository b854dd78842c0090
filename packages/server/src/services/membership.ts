import { type CommitBody, LIMITS, VollyError } from "@volly/protocol";
import type { GroupRecord, MembershipRecord, Repositories } from "../store/types.js";

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
 * Checks the membership change a commit declares (the server cannot read the MLS commit itself):
 * added devices exist and are not current members (a device whose membership ended may be re-added),
 * removed devices are current members or devices whose membership ended (a departed device is
 * removed by a commit after its departure), no device is both, each per-device Welcome is for one
 * added device (a shared `welcome` needs added devices and excludes per-device ones), and the group
 * stays within LIMITS.maxGroupDevices.
 *
 * @throws VOLLY_E_BAD_REQUEST (details.deviceId), VOLLY_E_GROUP_FULL (details.limit, details.size:
 *   the size the commit would make), VOLLY_E_UNKNOWN_DEVICE (details.deviceId)
 */
export async function validateMembershipChange(
  tx: Repositories,
  groupId: string,
  body: CommitBody,
): Promise<void> {
  const members = new Set(await tx.groups.listMembers(groupId));
  const bad = (message: string, details: Record<string, unknown>) =>
    new VollyError("VOLLY_E_BAD_REQUEST", message, details);
  const removed = new Set(body.removeDeviceIds);
  for (const id of body.addDeviceIds) {
    if (removed.has(id)) throw bad("A device cannot be both added and removed.", { deviceId: id });
    if (members.has(id)) throw bad("The device is already a member.", { deviceId: id });
  }
  let removedMembers = 0;
  for (const id of removed) {
    if (members.has(id)) {
      removedMembers++;
      continue;
    }
    if (!(await tx.groups.findMembership(groupId, id))) {
      throw bad("The device to remove is not a member.", { deviceId: id });
    }
  }
  const added = new Set(body.addDeviceIds);
  if (body.welcome !== undefined) {
    if (added.size === 0) throw bad("A welcome needs devices the commit adds.", {});
    if ((body.welcomes ?? []).length > 0) throw bad("Either one welcome or per-device welcomes.", {});
  }
  const welcomed = new Set<string>();
  for (const w of body.welcomes ?? []) {
    if (!added.has(w.deviceId))
      throw bad("A welcome is for a device the commit does not add.", { deviceId: w.deviceId });
    if (welcomed.has(w.deviceId)) throw bad("Two welcomes for one device.", { deviceId: w.deviceId });
    welcomed.add(w.deviceId);
  }
  const size = members.size + added.size - removedMembers;
  if (size > LIMITS.maxGroupDevices) {
    throw new VollyError("VOLLY_E_GROUP_FULL", undefined, { limit: LIMITS.maxGroupDevices, size });
  }
  const existing = await tx.devices.existing(body.addDeviceIds);
  const unknown = body.addDeviceIds.find((id) => !existing.has(id));
  if (unknown !== undefined) throw new VollyError("VOLLY_E_UNKNOWN_DEVICE", undefined, { deviceId: unknown });
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
