import type { CommunityChannel, CommunityResponse } from "./communities.js";
import { computeChannelPermissions, type PermissionSubject, parsePermissions } from "./permissions.js";

/**
 * Another member's permissions in one channel, from a community as a member sees it
 * (`GET /v1/communities/:communityId`): the community's roles, the member's role ids and timeout,
 * and the channel's overwrites, resolved with {@link computeChannelPermissions} (Discord's
 * algorithm, the server's own). Clients use it for what only content reveals (DESIGN.md
 * "Communities, on MLS"): who may be given a channel's history, who may delete others' messages.
 *
 * @param community the community as the caller sees it (its `members` and `roles`)
 * @param channel one of its channels (its `overwrites`)
 * @param accountId the member whose permissions to compute
 * @param now the current time (epoch ms), for timeouts
 * @returns the permission set, 0 when `accountId` is not a member
 * @throws VollyError VOLLY_E_BAD_REQUEST when a permission set in `community` is not a canonical
 *   decimal below 2^52
 * @see Discord permissions docs, Permission Overwrites
 */
export function memberChannelPermissions(
  community: CommunityResponse,
  channel: CommunityChannel,
  accountId: string,
  now: number,
): number {
  const member = community.members.find((m) => m.accountId === accountId);
  if (!member) return 0;
  const held = new Set(member.roleIds);
  const everyone = community.roles.find((r) => r.roleId === community.communityId);
  const subject: PermissionSubject = {
    communityId: community.communityId,
    ownerAccountId: community.ownerAccountId,
    accountId,
    everyonePermissions: everyone ? parsePermissions(everyone.permissions) : 0,
    roles: community.roles
      .filter((r) => held.has(r.roleId))
      .map((r) => ({ id: r.roleId, permissions: parsePermissions(r.permissions) })),
    ...(member.timedOutUntil !== undefined ? { timedOutUntil: member.timedOutUntil } : {}),
  };
  const overwrites = channel.overwrites.map((o) => ({
    id: o.id,
    type: o.type,
    allow: parsePermissions(o.allow, "overwrite.allow"),
    deny: parsePermissions(o.deny, "overwrite.deny"),
  }));
  return computeChannelPermissions(subject, overwrites, now);
}
