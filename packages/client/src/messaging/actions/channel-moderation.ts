import {
  type CommunityResponse,
  computeChannelPermissions,
  hasPermission,
  type PermissionName,
  parsePermissions,
} from "@volly/protocol";
import type { HttpApi } from "../../transport/http-api.js";

/** How long a community's role table read for permission checks is reused (ms). */
const ROLE_TABLE_TTL_MS = 5_000;

/**
 * Answers "does this account hold permission X in that community channel?" for what only content
 * reveals (MANAGE_MESSAGES deletions of others' messages, pins), from the community's role table as
 * the server shows it now (roles, members, the channel's overwrites) with the same pure resolver
 * the server uses (`computeChannelPermissions`). A "yes" may come from a read of the last
 * ROLE_TABLE_TTL_MS; a "no" is always confirmed by a fresh read, so a role just granted is seen at
 * once (a role just taken away may still count for up to that long).
 */
export class ChannelModeration {
  private readonly cache = new Map<string, { at: number; community: Promise<CommunityResponse> }>();

  /** @param api the client's REST transport */
  constructor(private readonly api: HttpApi) {}

  /**
   * Whether `accountId` holds `permission` in channel `channelId` of `communityId`. False for an
   * account that is not a member, or a channel not visible to this device's account.
   *
   * @throws VollyError when the community cannot be read (VOLLY_E_SERVER_UNREACHABLE,
   *   VOLLY_E_UNKNOWN_COMMUNITY…)
   */
  async holds(
    communityId: string,
    channelId: string,
    accountId: string,
    permission: PermissionName,
  ): Promise<boolean> {
    const cached = this.cache.get(communityId);
    const held = this.resolve(await this.community(communityId), channelId, accountId, permission);
    if (held || !cached) return held;
    this.cache.delete(communityId);
    return this.resolve(await this.community(communityId), channelId, accountId, permission);
  }

  private resolve(
    community: CommunityResponse,
    channelId: string,
    accountId: string,
    permission: PermissionName,
  ): boolean {
    const member = community.members.find((m) => m.accountId === accountId);
    const channel = community.channels.find((c) => c.channelId === channelId);
    if (!member || !channel) return false;
    const held = new Set(member.roleIds);
    const everyone = community.roles.find((r) => r.roleId === community.communityId);
    const permissions = computeChannelPermissions(
      {
        communityId: community.communityId,
        ownerAccountId: community.ownerAccountId,
        accountId,
        everyonePermissions: everyone ? parsePermissions(everyone.permissions) : 0,
        roles: community.roles
          .filter((r) => held.has(r.roleId))
          .map((r) => ({ id: r.roleId, permissions: parsePermissions(r.permissions) })),
        ...(member.timedOutUntil !== undefined ? { timedOutUntil: member.timedOutUntil } : {}),
      },
      channel.overwrites.map((o) => ({
        id: o.id,
        type: o.type,
        allow: parsePermissions(o.allow),
        deny: parsePermissions(o.deny),
      })),
      Date.now(),
    );
    return hasPermission(permissions, permission);
  }

  private community(communityId: string): Promise<CommunityResponse> {
    const cached = this.cache.get(communityId);
    if (cached && Date.now() - cached.at < ROLE_TABLE_TTL_MS) return cached.community;
    const community = this.api.call("getCommunity", { params: { communityId } });
    this.cache.set(communityId, { at: Date.now(), community });
    community.catch(() => this.cache.delete(communityId));
    return community;
  }
}
