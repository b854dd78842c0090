import {
  computeChannelPermissions,
  computeCommunityPermissions,
  hasPermission,
  type PermissionName,
  type PermissionSubject,
  permissionNamesOf,
  removePermissions,
  VollyError,
} from "@volly/protocol";
import type {
  ChannelRecord,
  CommunityMemberRecord,
  CommunityRecord,
  CommunityRoleRecord,
  OverwriteRecord,
} from "../../store/community-types.js";
import type { Repositories } from "../../store/types.js";

/** A member's standing in a community: what every community decision starts from. */
export interface CommunityAccess {
  community: CommunityRecord;
  member: CommunityMemberRecord;
  /** Every role of the community, @everyone included, by position. */
  roles: CommunityRoleRecord[];
  /** The member as the permission resolver sees it. */
  subject: PermissionSubject;
  /** Community-level permissions (Discord's base permissions, timeout applied). */
  permissions: number;
  /** The position of the member's highest role (@everyone: 0; the owner: +Infinity). */
  highestPosition: number;
}

/** The permission subject of a member (see `permissions.ts` in @volly/protocol). */
export function subjectOf(
  community: CommunityRecord,
  member: Pick<CommunityMemberRecord, "accountId" | "roleIds" | "timedOutUntil">,
  roles: readonly CommunityRoleRecord[],
): PermissionSubject {
  const held = new Set(member.roleIds);
  return {
    communityId: community.id,
    ownerAccountId: community.ownerAccountId,
    accountId: member.accountId,
    everyonePermissions: roles.find((r) => r.id === community.id)?.permissions ?? 0,
    roles: roles.filter((r) => held.has(r.id)).map((r) => ({ id: r.id, permissions: r.permissions })),
    ...(member.timedOutUntil !== null ? { timedOutUntil: member.timedOutUntil } : {}),
  };
}

/** The highest role position a member holds (owner: +Infinity, no role: 0). */
export function highestPositionOf(
  community: CommunityRecord,
  member: Pick<CommunityMemberRecord, "accountId" | "roleIds">,
  roles: readonly CommunityRoleRecord[],
): number {
  if (member.accountId === community.ownerAccountId) return Number.POSITIVE_INFINITY;
  const held = new Set(member.roleIds);
  return roles.reduce((top, r) => (held.has(r.id) && r.position > top ? r.position : top), 0);
}

/**
 * Loads the caller's standing in a community. With `lock`, the community's row is locked first so
 * concurrent edits of the same community run one after the other (PostgreSQL; SQLite serialises
 * writers anyway).
 *
 * @throws VOLLY_E_UNKNOWN_COMMUNITY when there is no such community or the account is not a member
 *   (not revealed which)
 */
export async function loadAccess(
  tx: Repositories,
  communityId: string,
  accountId: string,
  now: number,
  options: { lock?: boolean } = {},
): Promise<CommunityAccess> {
  const community = options.lock
    ? await tx.communities.lock(communityId)
    : await tx.communities.find(communityId);
  const member = community && (await tx.communities.findMember(communityId, accountId));
  if (!community || !member) throw new VollyError("VOLLY_E_UNKNOWN_COMMUNITY", undefined, { communityId });
  const roles = await tx.communities.listRoles(communityId);
  const subject = subjectOf(community, member, roles);
  return {
    community,
    member,
    roles,
    subject,
    permissions: computeCommunityPermissions(subject, now),
    highestPosition: highestPositionOf(community, member, roles),
  };
}

/** A channel's permissions for a member (Discord's overwrite resolution; see @volly/protocol). */
export function channelPermissionsOf(
  subject: PermissionSubject,
  overwrites: readonly OverwriteRecord[],
  now: number,
): number {
  return computeChannelPermissions(subject, overwrites.map(toWireOverwrite), now);
}

function toWireOverwrite(o: OverwriteRecord) {
  return { id: o.targetId, type: o.targetType, allow: o.allow, deny: o.deny };
}

/**
 * Throws unless `permissions` include `name`.
 *
 * @throws VOLLY_E_FORBIDDEN with details.permission = name (and `details` merged in)
 */
export function requirePermission(
  permissions: number,
  name: PermissionName,
  details: Record<string, unknown> = {},
): void {
  if (!hasPermission(permissions, name)) {
    throw new VollyError("VOLLY_E_FORBIDDEN", `This needs ${name}.`, { permission: name, ...details });
  }
}

/**
 * Throws unless the actor outranks a role or member at `position` (Discord's role hierarchy: only
 * what sits strictly below one's highest role can be managed; the owner outranks everyone).
 *
 * @throws VOLLY_E_FORBIDDEN (details.permission, details.reason "hierarchy")
 */
export function requireOutranks(access: CommunityAccess, position: number, permission: PermissionName): void {
  if (access.highestPosition > position) return;
  throw new VollyError("VOLLY_E_FORBIDDEN", "That is at or above your highest role.", {
    permission,
    reason: "hierarchy",
  });
}

/**
 * A channel of this community that the member may view, with its overwrites and the member's
 * permissions in it.
 *
 * @throws VOLLY_E_UNKNOWN_CHANNEL when it does not exist, is another community's, or is hidden from
 *   the member (not revealed which)
 */
export async function loadChannel(
  tx: Repositories,
  channelId: string,
  access: CommunityAccess,
  now: number,
): Promise<{ channel: ChannelRecord; overwrites: OverwriteRecord[]; permissions: number }> {
  const channel = await tx.communities.findChannel(channelId);
  if (!channel || channel.communityId !== access.community.id) {
    throw new VollyError("VOLLY_E_UNKNOWN_CHANNEL", undefined, { channelId });
  }
  const overwrites = await tx.communities.listOverwrites(channelId);
  const permissions = channelPermissionsOf(access.subject, overwrites, now);
  if (!hasPermission(permissions, "VIEW_CHANNEL")) {
    throw new VollyError("VOLLY_E_UNKNOWN_CHANNEL", undefined, { channelId });
  }
  return { channel, overwrites, permissions };
}

/**
 * A channel and the caller's standing in its community, in one go (the channel read once): what
 * every channel route and the binding of a channel's group start from.
 *
 * @throws VOLLY_E_UNKNOWN_CHANNEL when the channel does not exist, the caller is not a member of its
 *   community, or it is hidden from the caller (not revealed which)
 */
export async function loadChannelAccess(
  tx: Repositories,
  channelId: string,
  accountId: string,
  now: number,
  options: { lock?: boolean } = {},
): Promise<{
  access: CommunityAccess;
  channel: ChannelRecord;
  overwrites: OverwriteRecord[];
  permissions: number;
}> {
  const unknown = () => new VollyError("VOLLY_E_UNKNOWN_CHANNEL", undefined, { channelId });
  const found = await tx.communities.findChannel(channelId);
  if (!found) throw unknown();
  const access = await loadAccess(tx, found.communityId, accountId, now, options).catch((error: unknown) => {
    throw error instanceof VollyError && error.code === "VOLLY_E_UNKNOWN_COMMUNITY" ? unknown() : error;
  });
  return { access, ...(await loadChannel(tx, channelId, access, now)) };
}

/** Whether `error` is the VOLLY_E_UNKNOWN_CHANNEL of a channel now hidden from the caller. */
export function isUnknownChannel(error: unknown): boolean {
  return error instanceof VollyError && error.code === "VOLLY_E_UNKNOWN_CHANNEL";
}

/**
 * Throws unless `held` includes every permission in `bits` (Discord: one can only grant, deny or give
 * a role what one has).
 *
 * @throws VOLLY_E_FORBIDDEN (details.permission: the first one missing, in bit order)
 */
export function requireEvery(held: number, bits: number, message: string): void {
  const missing = removePermissions(bits, held);
  if (missing === 0) return;
  const permission = permissionNamesOf(missing)[0];
  throw new VollyError("VOLLY_E_FORBIDDEN", message, { permission });
}

/** The rows a channel's permissions are resolved from, read once per check (see {@link channelRolesOf}). */
export interface ChannelRoles {
  channel: ChannelRecord;
  community: CommunityRecord;
  roles: CommunityRoleRecord[];
  overwrites: OverwriteRecord[];
}

/** The role table and overwrites of the channel a group carries, or undefined (no such channel). */
export async function channelRolesOf(tx: Repositories, groupId: string): Promise<ChannelRoles | undefined> {
  const channel = await tx.communities.findChannelByGroup(groupId);
  const community = channel && (await tx.communities.find(channel.communityId));
  if (!channel || !community) return undefined;
  const [roles, overwrites] = await Promise.all([
    tx.communities.listRoles(community.id),
    tx.communities.listOverwrites(channel.id),
  ]);
  return { channel, community, roles, overwrites };
}

/** An account's permissions in that channel; undefined when it is not a member of the community. */
export async function accountPermissionsIn(
  tx: Repositories,
  roles: ChannelRoles,
  accountId: string,
  now: number,
): Promise<number | undefined> {
  const member = await tx.communities.findMember(roles.community.id, accountId);
  return (
    member && channelPermissionsOf(subjectOf(roles.community, member, roles.roles), roles.overwrites, now)
  );
}
