import type {
  AuditLogEntry,
  CommunityBan,
  CommunityChannel,
  CommunityMember,
  CommunityResponse,
  CommunityRole,
  CommunitySummary,
  CreateChannelBody,
  HistoryPolicy,
  InvitePreviewResponse,
  UpdateChannelBody,
  UpdateCommunityBody,
  UpdateRoleBody,
} from "@volly/protocol";
import type { Listeners } from "../shared/listeners.js";
import type { VoiceChannels } from "./voice-channels.js";

/**
 * A member or account named by the caller: `@handle` (looked up in the server's directory) or an
 * account id (22 base64url characters). Communities do not span servers yet: `@user@server` names
 * an account only when `server` is this client's own server (another's: VOLLY_E_USAGE).
 */
export type MemberRef = string;

/** A community invite as {@link Communities.createInvite} returns it. */
export interface CommunityInviteLink {
  /** `volly-community:<server origin>/<code>`: what {@link Communities.join} and `volly community join` take. */
  link: string;
  /** `<server origin>/c/<code>`: the same invite as a web address (also accepted by `join`). */
  webUrl: string;
  /** The server's invite code (16–32 base64url characters). */
  code: string;
  /** When the invite stops working (ms since the Unix epoch); absent: never. */
  expiresAt?: number;
  /** How many joins it allows; absent: unlimited. */
  maxUses?: number;
  /** How many joins it has counted so far. */
  uses: number;
  /** The account that created it. */
  creatorAccountId: string;
  /** When it was created (ms since the Unix epoch). */
  createdAt: number;
}

/** Options of {@link Communities.createInvite}. */
export interface CreateCommunityInviteOptions {
  /** How long the invite works (ms); 0 = never expires; default 7 days. Rounded up to seconds. */
  ttlMs?: number;
  /** How many joins it allows; default unlimited. */
  maxUses?: number;
}

/** A community of this account changed (see {@link Communities.changes}). */
export interface CommunityChange {
  communityId: string;
  /** The community as this account now sees it; absent when it is gone for this account (left, kicked, banned, deleted). */
  community?: CommunityResponse;
}

/**
 * `client.communities`: communities (Discord's guilds) on MLS. Structure, roles and permissions are
 * server records the server enforces; every text or announcement channel is one MLS group, and a
 * channel this account may view is a conversation of kind "channel" on this device (created, joined
 * by external commit, or marked left as access changes: see `communities/README.md`). Every method
 * calls the server and throws its errors: VOLLY_E_FORBIDDEN (details.permission names the missing
 * permission), VOLLY_E_UNKNOWN_COMMUNITY, VOLLY_E_UNKNOWN_CHANNEL, VOLLY_E_UNKNOWN_ROLE,
 * VOLLY_E_SERVER_UNREACHABLE, and the ones listed per method. A method taking a {@link MemberRef}
 * also throws VOLLY_E_HANDLE_INVALID and VOLLY_E_UNKNOWN_HANDLE.
 */
export interface Communities {
  /**
   * Fires after this device read a community again because it changed (gateway COMMUNITY_UPDATE,
   * or a change made here), once its channel conversations were reconciled.
   */
  readonly changes: Listeners<CommunityChange>;
  /** Voice channels: join, leave, self mute/deafen, moderation, and who is in (`voice-channels.ts`). */
  readonly voice: VoiceChannels;

  /** Creates a community owned by this account (it starts with a #general text channel). */
  create(name: string, description?: string): Promise<CommunityResponse>;
  /** The communities this account is a member of. */
  list(): Promise<CommunitySummary[]>;
  /** A community as this account sees it: roles, members, the channels it may view. */
  get(communityId: string): Promise<CommunityResponse>;
  /** Renames or describes a community (MANAGE_COMMUNITY). */
  update(communityId: string, changes: UpdateCommunityBody): Promise<CommunityResponse>;
  /** Deletes a community (owner only). */
  delete(communityId: string): Promise<void>;
  /** Leaves a community (VOLLY_E_OWNER_CANNOT_LEAVE for the owner: transfer first). */
  leave(communityId: string): Promise<void>;
  /** Makes another member the owner (owner only). */
  transferOwnership(communityId: string, member: MemberRef): Promise<CommunityResponse>;

  /**
   * Creates a channel (MANAGE_CHANNELS): `type` text (default), announcement, voice or category;
   * `private` denies VIEW_CHANNEL to @everyone. Its MLS group is created by the first device
   * that may send there (this one, right away, for a text, announcement or voice channel).
   */
  createChannel(communityId: string, channel: CreateChannelBody): Promise<CommunityChannel>;
  /** Renames, moves or sets the topic or history policy of a channel (MANAGE_CHANNELS). */
  updateChannel(channelId: string, changes: UpdateChannelBody): Promise<CommunityChannel>;
  /** Deletes a channel (MANAGE_CHANNELS); its conversation is marked left on every device. */
  deleteChannel(channelId: string): Promise<void>;
  /**
   * Sets a permission overwrite in a channel (MANAGE_ROLES).
   *
   * @param target a role (`{ roleId }`) or a member (`{ member }`)
   * @param allow, deny permission names (`"VIEW_CHANNEL"`, …; see `PERMISSIONS` in @volly/protocol)
   * @throws VollyError VOLLY_E_BAD_REQUEST (an unknown permission name; details.unknown)
   */
  setOverwrite(
    channelId: string,
    target: OverwriteTarget,
    allow: readonly string[],
    deny: readonly string[],
  ): Promise<CommunityChannel>;
  /** Removes a role's or member's overwrite in a channel (MANAGE_ROLES). */
  deleteOverwrite(channelId: string, target: OverwriteTarget): Promise<CommunityChannel>;

  /**
   * Creates a role just above @everyone (MANAGE_ROLES; only permissions this account has).
   *
   * @param role.permissions permission names
   * @throws VollyError VOLLY_E_BAD_REQUEST (an unknown permission name; details.unknown)
   */
  createRole(
    communityId: string,
    role: { name: string; color?: number; permissions?: readonly string[] },
  ): Promise<CommunityRole>;
  /** Changes a role (MANAGE_ROLES, below this account's highest role). */
  updateRole(
    communityId: string,
    roleId: string,
    changes: Omit<UpdateRoleBody, "permissions"> & { permissions?: readonly string[] },
  ): Promise<CommunityRole>;
  /** Deletes a role (MANAGE_ROLES). */
  deleteRole(communityId: string, roleId: string): Promise<void>;
  /** Gives a member a role (MANAGE_ROLES). */
  assignRole(communityId: string, member: MemberRef, roleId: string): Promise<CommunityMember>;
  /** Takes a role from a member (MANAGE_ROLES). */
  unassignRole(communityId: string, member: MemberRef, roleId: string): Promise<CommunityMember>;

  /** Removes a member (KICK_MEMBERS); it may rejoin with an invite. */
  kick(communityId: string, member: MemberRef, reason?: string): Promise<void>;
  /** Bans an account (BAN_MEMBERS): removed, and refused by invites (VOLLY_E_BANNED). */
  ban(communityId: string, account: MemberRef, reason?: string): Promise<void>;
  /** Lifts a ban (BAN_MEMBERS). */
  unban(communityId: string, account: MemberRef): Promise<void>;
  /** The community's bans (BAN_MEMBERS). */
  bans(communityId: string): Promise<CommunityBan[]>;
  /**
   * Stops a member from sending for `durationMs` (MODERATE_MEMBERS; at most 28 days); 0 ends a
   * timeout. Its sends are refused with VOLLY_E_FORBIDDEN (SEND_MESSAGES) meanwhile.
   */
  timeout(
    communityId: string,
    member: MemberRef,
    durationMs: number,
    reason?: string,
  ): Promise<CommunityMember>;

  /** Creates an invite (CREATE_INVITE). */
  createInvite(communityId: string, options?: CreateCommunityInviteOptions): Promise<CommunityInviteLink>;
  /** The community's live invites (MANAGE_COMMUNITY). */
  invites(communityId: string): Promise<CommunityInviteLink[]>;
  /** Revokes an invite (MANAGE_COMMUNITY or its creator). */
  revokeInvite(communityId: string, code: string): Promise<void>;
  /**
   * What an invite leads to (name, description, member count).
   *
   * @param invite a link in either form of {@link CommunityInviteLink}, or the bare code
   * @throws VollyError VOLLY_E_COMMUNITY_INVITE_INVALID (malformed, another server, expired, used up, revoked)
   */
  previewInvite(invite: string): Promise<InvitePreviewResponse>;
  /**
   * Joins a community by invite, then joins the groups of the channels this account may view.
   *
   * @param invite a link in either form of {@link CommunityInviteLink}, or the bare code
   * @throws VollyError VOLLY_E_COMMUNITY_INVITE_INVALID, VOLLY_E_BANNED
   */
  join(invite: string): Promise<CommunityResponse>;
  /** The community's audit log, newest first (VIEW_AUDIT_LOG). */
  auditLog(communityId: string): Promise<AuditLogEntry[]>;

  /**
   * Reads the community again and brings this device's channel conversations in line with what
   * this account may view (create the group of a channel that has none and where it may send, join
   * by external commit, mark hidden channels left). Runs on its own on connect and on every
   * COMMUNITY_UPDATE; failures then go to `diagnostics` ("communities.reconcile").
   *
   * @param communityId one community; default: all of this account's communities (and channel
   *   conversations of communities it is no longer in are marked left)
   */
  reconcile(communityId?: string): Promise<void>;
  /**
   * The conversation id (MLS group id) of a channel on this device, joining it first if needed.
   *
   * @throws VollyError VOLLY_E_UNKNOWN_CHANNEL (not a channel this account may view, or a category),
   *   VOLLY_E_NOT_GROUP_MEMBER (a channel this device was in and may no longer view),
   *   VOLLY_E_FORBIDDEN (the channel has no group yet and this account may not send there to create it)
   */
  conversationOf(channelId: string): Promise<string>;
}

/** Whose overwrite: a role's or a member's. */
export type OverwriteTarget = { roleId: string } | { member: MemberRef };

export type { HistoryPolicy };
