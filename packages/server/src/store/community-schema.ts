/**
 * Kysely table types of communities (migration 0008). Same conventions as `schema.ts`: ids are text,
 * times are bigint ms since the Unix epoch, permission sets are bigint (below 2^52).
 */

/** A community (Discord's guild). */
export interface CommunitiesTable {
  id: string;
  name: string;
  description: string;
  owner_account_id: string;
  created_at: number;
}

/** An account's membership of a community. */
export interface CommunityMembersTable {
  community_id: string;
  account_id: string;
  joined_at: number;
  /** Until when (ms) the member may not send; null when not timed out. */
  timed_out_until: number | null;
}

/** A role; the `@everyone` role's id is the community's id and its position 0. */
export interface CommunityRolesTable {
  id: string;
  community_id: string;
  name: string;
  /** 0xRRGGBB; 0 = none. */
  color: number;
  position: number;
  permissions: number;
}

/** A role held by a member. */
export interface CommunityMemberRolesTable {
  community_id: string;
  account_id: string;
  role_id: string;
}

/** A channel or category. */
export interface CommunityChannelsTable {
  id: string;
  community_id: string;
  /** text | announcement | category | voice */
  type: string;
  name: string;
  topic: string;
  parent_id: string | null;
  position: number;
  /** The channel's MLS group once its first device created it; unique. */
  group_id: string | null;
  /** JSON of the protocol's HistoryPolicy. */
  history_policy: string;
  created_at: number;
}

/** A role's or member's permission overwrite in a channel. */
export interface ChannelOverwritesTable {
  channel_id: string;
  target_id: string;
  /** role | member */
  target_type: string;
  allow: number;
  deny: number;
}

/** A ban: the account cannot join again by invite. */
export interface CommunityBansTable {
  community_id: string;
  account_id: string;
  reason: string | null;
  banned_by: string;
  created_at: number;
}

/** An invite code. */
export interface CommunityInvitesTable {
  code: string;
  community_id: string;
  creator_account_id: string;
  created_at: number;
  expires_at: number | null;
  max_uses: number | null;
  uses: number;
}

/** One audit log entry. */
export interface CommunityAuditLogTable {
  id: string;
  community_id: string;
  /** 1, 2, … per community, in write order. */
  seq: number;
  actor_account_id: string;
  action: string;
  target_id: string | null;
  reason: string | null;
  created_at: number;
}

/** The community tables, merged into the server's `Database`. */
export interface CommunityTables {
  communities: CommunitiesTable;
  community_members: CommunityMembersTable;
  community_roles: CommunityRolesTable;
  community_member_roles: CommunityMemberRolesTable;
  community_channels: CommunityChannelsTable;
  channel_overwrites: ChannelOverwritesTable;
  community_bans: CommunityBansTable;
  community_invites: CommunityInvitesTable;
  community_audit_log: CommunityAuditLogTable;
}
