import {
  type CommunityChannel,
  type CommunityMember,
  type CommunityResponse,
  type CommunityRole,
  type EntityType,
  type HistoryPolicy,
  hasPermission,
  serializePermissions,
  VollyError,
} from "@volly/protocol";
import type {
  ChannelRecord,
  CommunityMemberRecord,
  CommunityRoleRecord,
  OverwriteRecord,
} from "../../store/community-types.js";
import type { Repositories } from "../../store/types.js";
import { type CommunityAccess, channelPermissionsOf } from "./community-access.js";

/** A role as the API answers it. */
export function roleView(role: CommunityRoleRecord): CommunityRole {
  return {
    roleId: role.id,
    name: role.name,
    color: role.color,
    position: role.position,
    permissions: serializePermissions(role.permissions),
  };
}

/** A member as the API answers it. */
export function memberView(
  member: CommunityMemberRecord & { handle: string; displayName?: string; entityType?: string },
  now: number,
): CommunityMember {
  return {
    accountId: member.accountId,
    handle: member.handle,
    ...(member.displayName !== undefined ? { displayName: member.displayName } : {}),
    ...(member.entityType !== undefined ? { entityType: member.entityType as EntityType } : {}),
    roleIds: member.roleIds,
    joinedAt: member.joinedAt,
    ...(member.timedOutUntil !== null && member.timedOutUntil > now
      ? { timedOutUntil: member.timedOutUntil }
      : {}),
  };
}

/**
 * One member as the API answers it, read by key (not by listing the community).
 *
 * @throws VOLLY_E_NOT_COMMUNITY_MEMBER (details.accountId)
 */
export async function memberViewOf(
  tx: Repositories,
  communityId: string,
  accountId: string,
  now: number,
): Promise<CommunityMember> {
  const member = await tx.communities.findMember(communityId, accountId);
  const account = member && (await tx.accounts.findById(accountId));
  if (!member || !account) throw new VollyError("VOLLY_E_NOT_COMMUNITY_MEMBER", undefined, { accountId });
  return memberView(
    {
      ...member,
      handle: account.handle,
      ...(account.displayName !== undefined ? { displayName: account.displayName } : {}),
      entityType: account.entityType,
    },
    now,
  );
}

/** A channel as the API answers it, with the viewer's permissions in it. */
export function channelView(
  channel: ChannelRecord,
  overwrites: readonly OverwriteRecord[],
  permissions: number,
): CommunityChannel {
  return {
    channelId: channel.id,
    type: channel.type,
    name: channel.name,
    topic: channel.topic,
    ...(channel.parentId !== null ? { parentId: channel.parentId } : {}),
    position: channel.position,
    ...(channel.groupId !== null ? { groupId: channel.groupId } : {}),
    historyPolicy: JSON.parse(channel.historyPolicy) as HistoryPolicy,
    overwrites: overwrites.map((o) => ({
      id: o.targetId,
      type: o.targetType,
      allow: serializePermissions(o.allow),
      deny: serializePermissions(o.deny),
    })),
    myPermissions: serializePermissions(permissions),
  };
}

/**
 * The community as one member sees it: every role and member, and only the channels that member may
 * view (Discord: a channel without VIEW_CHANNEL is not listed at all).
 */
export async function communityView(
  tx: Repositories,
  access: CommunityAccess,
  now: number,
): Promise<CommunityResponse> {
  const { community } = access;
  const [channels, overwrites, members] = await Promise.all([
    tx.communities.listChannels(community.id),
    tx.communities.listCommunityOverwrites(community.id),
    tx.communities.listMembers(community.id),
  ]);
  const byChannel = new Map<string, OverwriteRecord[]>();
  for (const o of overwrites) byChannel.set(o.channelId, [...(byChannel.get(o.channelId) ?? []), o]);
  const visible: CommunityChannel[] = [];
  for (const channel of channels) {
    const own = byChannel.get(channel.id) ?? [];
    const permissions = channelPermissionsOf(access.subject, own, now);
    if (hasPermission(permissions, "VIEW_CHANNEL")) visible.push(channelView(channel, own, permissions));
  }
  return {
    communityId: community.id,
    name: community.name,
    description: community.description,
    ownerAccountId: community.ownerAccountId,
    createdAt: community.createdAt,
    roles: access.roles.map(roleView),
    channels: visible,
    members: members.map((m) => memberView(m, now)),
    myPermissions: serializePermissions(access.permissions),
  };
}
