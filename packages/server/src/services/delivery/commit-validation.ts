import {
  type CommitBody,
  type CommitSizeLimits,
  type CreateGroupBody,
  commitSizeLimits,
  VollyError,
} from "@volly/protocol";
import type { Repositories } from "../../store/types.js";

/**
 * Checks the membership change a commit declares against the group's membership as the server keeps
 * it (that the declaration matches the MLS commit is `commit-verification.ts`'s check):
 * added devices exist and are not current members (a device whose membership ended may be re-added),
 * removed devices are current members or devices whose membership ended (a departed device is
 * removed by a commit after its departure), no device is both, each per-device Welcome is for one
 * added device (a shared `welcome` needs added devices and excludes per-device ones), and the group
 * stays within `maxDevices`. These rules hold for every group; who may make the change is the
 * group's membership policy's decision (`MembershipPolicy.authorizeCommit`).
 *
 * @param maxDevices the most member devices the group may have (its policy's `maxDevices`)
 * @returns the number of member devices the group has once the commit is applied
 *
 * @throws VOLLY_E_BAD_REQUEST (details.deviceId), VOLLY_E_GROUP_FULL (details.limit, details.size:
 *   the size the commit would make), VOLLY_E_UNKNOWN_DEVICE (details.deviceId)
 */
export async function validateMembershipChange(
  tx: Repositories,
  groupId: string,
  body: CommitBody,
  maxDevices: number,
): Promise<number> {
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
  if (size > maxDevices) {
    throw new VollyError("VOLLY_E_GROUP_FULL", undefined, { limit: maxDevices, size });
  }
  const existing = await tx.devices.existing(body.addDeviceIds);
  const unknown = body.addDeviceIds.find((id) => !existing.has(id));
  if (unknown !== undefined) throw new VollyError("VOLLY_E_UNKNOWN_DEVICE", undefined, { deviceId: unknown });
  return size;
}

/**
 * Checks each part of a commit against what a group of its size needs (`commitSizeLimits`): the
 * commit, the Welcome (the shared one and every per-device one), the ratchet tree and the GroupInfo.
 *
 * @param groupDevices member devices once the commit is applied
 * @returns the characters the commit stores in all (what its quotas are charged)
 * @throws VOLLY_E_COMMIT_TOO_LARGE (details.field, details.limit, details.size, details.groupDevices)
 */
export function checkCommitSize(body: CommitBody, groupDevices: number): number {
  return checkParts(
    [
      ["commit", body.commit],
      ["ratchetTree", body.ratchetTree],
      ["groupInfo", body.groupInfo],
      ["welcome", body.welcome],
      ...(body.welcomes ?? []).map((w): [keyof CommitSizeLimits, string] => ["welcome", w.welcome]),
    ],
    commitSizeLimits(groupDevices, body.addDeviceIds.length),
    groupDevices,
  );
}

/**
 * Checks the epoch-0 ratchet tree and GroupInfo a creator sends with `POST /v1/groups` (one member)
 * against the limits of a group of one (`commitSizeLimits(1, 0)`), like a commit's.
 *
 * @returns the characters they store (what the group's and the creator's quotas are charged)
 * @throws VOLLY_E_COMMIT_TOO_LARGE (details.field "ratchetTree" or "groupInfo", details.limit,
 *   details.size, details.groupDevices 1)
 */
export function checkInitialStateSize(body: Pick<CreateGroupBody, "ratchetTree" | "groupInfo">): number {
  return checkParts(
    [
      ["ratchetTree", body.ratchetTree],
      ["groupInfo", body.groupInfo],
    ],
    commitSizeLimits(1, 0),
    1,
  );
}

/** Sums the parts' lengths. @throws VOLLY_E_COMMIT_TOO_LARGE for the first part over its limit */
function checkParts(
  parts: [keyof CommitSizeLimits, string | undefined][],
  limits: CommitSizeLimits,
  groupDevices: number,
): number {
  let total = 0;
  for (const [field, value] of parts) {
    if (value === undefined) continue;
    if (value.length > limits[field]) {
      throw new VollyError("VOLLY_E_COMMIT_TOO_LARGE", undefined, {
        field,
        limit: limits[field],
        size: value.length,
        groupDevices,
      });
    }
    total += value.length;
  }
  return total;
}
