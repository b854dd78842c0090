import { hasPermission, memberChannelPermissions, type PermissionName } from "@volly/protocol";
import type { CommunityReads } from "../../communities/community-reads.js";

/**
 * Answers "does this account hold permission X in that community channel?" for what only content
 * reveals (MANAGE_MESSAGES deletions of others' messages, pins), from the community's role table as
 * the server shows it (`CommunityReads`) with the server's own resolution
 * (`memberChannelPermissions`). A "yes" may come from a recent read; a "no" from a reused read is
 * confirmed by a fresh one, so a role just granted is seen at once (a role just taken away may
 * still count for up to COMMUNITY_READ_TTL_MS).
 */
export class ChannelModeration {
  /** @param reads the client's shared community reads */
  constructor(private readonly reads: CommunityReads) {}

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
    const reused = this.reads.cached(communityId);
    const held = await this.resolve(communityId, channelId, accountId, permission, false);
    if (held || !reused) return held;
    return this.resolve(communityId, channelId, accountId, permission, true);
  }

  private async resolve(
    communityId: string,
    channelId: string,
    accountId: string,
    permission: PermissionName,
    fresh: boolean,
  ): Promise<boolean> {
    const community = await this.reads.read(communityId, fresh);
    const channel = community.channels.find((c) => c.channelId === channelId);
    if (!channel) return false;
    return hasPermission(memberChannelPermissions(community, channel, accountId, Date.now()), permission);
  }
}
