/**
 * Records and the repository of communities (see `community-schema.ts`). Permission sets are JS
 * numbers below 2^52; times are ms since the Unix epoch.
 */

/** A community row. */
export interface CommunityRecord {
  id: string;
  name: string;
  description: string;
  ownerAccountId: string;
  createdAt: number;
}

/** A member with its roles (not including @everyone). */
export interface CommunityMemberRecord {
  communityId: string;
  accountId: string;
  joinedAt: number;
  timedOutUntil: number | null;
  roleIds: string[];
}

/** A member as listed, with the account's handle, display name and entity type. */
export interface CommunityMemberEntry extends CommunityMemberRecord {
  handle: string;
  displayName?: string;
  /** The account's entity type (`accounts.entity_type`: human, bot, agent, service, device). */
  entityType?: string;
}

/** A role row. */
export interface CommunityRoleRecord {
  id: string;
  communityId: string;
  name: string;
  color: number;
  position: number;
  permissions: number;
}

/** A channel's permission overwrite. */
export interface OverwriteRecord {
  channelId: string;
  targetId: string;
  targetType: "role" | "member";
  allow: number;
  deny: number;
}

/** A channel row (`historyPolicy` is the protocol's HistoryPolicy as JSON text). */
export interface ChannelRecord {
  id: string;
  communityId: string;
  type: "text" | "announcement" | "category" | "voice";
  name: string;
  topic: string;
  parentId: string | null;
  position: number;
  groupId: string | null;
  historyPolicy: string;
  createdAt: number;
}

/** A ban, with the banned account's handle. */
export interface BanRecord {
  communityId: string;
  accountId: string;
  handle: string;
  reason: string | null;
  bannedBy: string;
  createdAt: number;
}

/** An invite row. */
export interface CommunityInviteRecord {
  code: string;
  communityId: string;
  creatorAccountId: string;
  createdAt: number;
  expiresAt: number | null;
  maxUses: number | null;
  uses: number;
}

/** An audit log entry. */
export interface AuditRecord {
  id: string;
  communityId: string;
  actorAccountId: string;
  action: string;
  targetId: string | null;
  reason: string | null;
  createdAt: number;
}

/** A community of an account, as listed. */
export interface CommunitySummaryRecord {
  id: string;
  name: string;
  ownerAccountId: string;
  memberCount: number;
}

/**
 * Communities: structure (roles, channels, overwrites), members, bans, invites and the audit log.
 * Used inside the services' transactions; `lock` serialises concurrent edits of one community.
 */
export interface CommunityRepository {
  /** Inserts a community row. */
  insert(community: CommunityRecord): Promise<void>;
  /** One community, or undefined. */
  find(communityId: string): Promise<CommunityRecord | undefined>;
  /**
   * Locks the community's row until the transaction ends (PostgreSQL row lock; SQLite serialises
   * writers anyway) and returns it; undefined when there is none.
   */
  lock(communityId: string): Promise<CommunityRecord | undefined>;
  /** Updates name, description or owner. */
  update(
    communityId: string,
    patch: Partial<Pick<CommunityRecord, "name" | "description" | "ownerAccountId">>,
  ): Promise<void>;
  /** Deletes the community and every row that belongs to it. */
  delete(communityId: string): Promise<void>;
  /** The communities an account is a member of, with their member counts. */
  listOf(accountId: string): Promise<CommunitySummaryRecord[]>;

  /** Adds a member (no roles, no timeout). */
  insertMember(communityId: string, accountId: string, joinedAt: number): Promise<void>;
  /** One member with its role ids, or undefined. */
  findMember(communityId: string, accountId: string): Promise<CommunityMemberRecord | undefined>;
  /** Every member with handle, display name and role ids, by join time. */
  listMembers(communityId: string): Promise<CommunityMemberEntry[]>;
  /** Removes a member and its roles; true when it was a member. */
  deleteMember(communityId: string, accountId: string): Promise<boolean>;
  /** Sets or clears (null) a member's timeout. */
  setTimeout(communityId: string, accountId: string, until: number | null): Promise<void>;
  /** How many members the community has. */
  countMembers(communityId: string): Promise<number>;
  /** The ids of every active (not revoked) device of every member, in one query. */
  listMemberDevices(communityId: string): Promise<string[]>;

  /** Inserts a role. */
  insertRole(role: CommunityRoleRecord): Promise<void>;
  /** Updates a role's fields. */
  updateRole(
    roleId: string,
    patch: Partial<Pick<CommunityRoleRecord, "name" | "color" | "position" | "permissions">>,
  ): Promise<void>;
  /** Deletes a role, its assignments and its overwrites. */
  deleteRole(roleId: string): Promise<void>;
  /** Every role of the community (including @everyone), by position. */
  listRoles(communityId: string): Promise<CommunityRoleRecord[]>;
  /** Gives a member a role (no-op when held). */
  addMemberRole(communityId: string, accountId: string, roleId: string): Promise<void>;
  /** Takes a role from a member; true when it was held. */
  removeMemberRole(communityId: string, accountId: string, roleId: string): Promise<boolean>;

  /** Inserts a channel. */
  insertChannel(channel: ChannelRecord): Promise<void>;
  /** Updates a channel's fields. */
  updateChannel(
    channelId: string,
    patch: Partial<Pick<ChannelRecord, "name" | "topic" | "parentId" | "position" | "historyPolicy">>,
  ): Promise<void>;
  /** Sets the channel's MLS group if it has none yet; true when set. */
  setChannelGroup(channelId: string, groupId: string): Promise<boolean>;
  /** Deletes a channel and its overwrites; its children move to the top level. */
  deleteChannel(channelId: string): Promise<void>;
  /** One channel, or undefined. */
  findChannel(channelId: string): Promise<ChannelRecord | undefined>;
  /** The channel whose MLS group this is, or undefined. */
  findChannelByGroup(groupId: string): Promise<ChannelRecord | undefined>;
  /** Every channel of the community, by position. */
  listChannels(communityId: string): Promise<ChannelRecord[]>;

  /** Sets (inserts or replaces) an overwrite. */
  putOverwrite(overwrite: OverwriteRecord): Promise<void>;
  /** Deletes an overwrite; true when there was one. */
  deleteOverwrite(channelId: string, targetId: string): Promise<boolean>;
  /** The overwrites of one channel. */
  listOverwrites(channelId: string): Promise<OverwriteRecord[]>;
  /** The overwrites of every channel of the community. */
  listCommunityOverwrites(communityId: string): Promise<OverwriteRecord[]>;

  /** Records a ban (replacing an earlier one's reason). */
  insertBan(ban: Omit<BanRecord, "handle">): Promise<void>;
  /** Lifts a ban; true when there was one. */
  deleteBan(communityId: string, accountId: string): Promise<boolean>;
  /** Whether the account is banned. */
  isBanned(communityId: string, accountId: string): Promise<boolean>;
  /** The bans, newest first. */
  listBans(communityId: string): Promise<BanRecord[]>;

  /** Inserts an invite. */
  insertInvite(invite: CommunityInviteRecord): Promise<void>;
  /** One invite, or undefined. */
  findInvite(code: string): Promise<CommunityInviteRecord | undefined>;
  /** The community's invites, newest first. */
  listInvites(communityId: string): Promise<CommunityInviteRecord[]>;
  /** Deletes an invite; true when there was one. */
  deleteInvite(code: string): Promise<boolean>;
  /**
   * Counts one use of an invite if it is still valid at `now` (not expired, not used up), in one
   * conditional update; true when counted.
   */
  useInvite(code: string, now: number): Promise<boolean>;

  /** Appends an audit log entry after the community's last (the caller holds the community's lock). */
  appendAudit(entry: AuditRecord): Promise<void>;
  /** The latest `limit` audit entries, newest first. */
  listAudit(communityId: string, limit: number): Promise<AuditRecord[]>;
}
