import { type Static, type TSchema, Type } from "@sinclair/typebox";
import { EntityType, Handle, Id, ServerName, Timestamp } from "./common.js";
import { PermissionBits, PermissionOverwriteWire } from "./permissions.js";

/*
 * Communities (Discord's guilds) on MLS, REST v1 (DESIGN.md "Communities, on MLS"). Structure, role
 * assignments and permission bits are metadata the server sees and enforces; every channel's content
 * is an MLS group the server cannot read. Permission sets travel as decimal strings (Discord's wire
 * form; see `permissions.ts`). A community's id is also its `@everyone` role's id.
 */

const Name = (max: number, description: string) =>
  Type.String({ minLength: 1, maxLength: max, pattern: "\\S", description });
const Reason = Type.String({ minLength: 1, maxLength: 512, description: "shown in the audit log" });

export const CommunityParams = Type.Object({ communityId: Id }, { additionalProperties: false });
export const ChannelParams = Type.Object({ channelId: Id }, { additionalProperties: false });
export const CommunityRoleParams = Type.Object(
  { communityId: Id, roleId: Id },
  { additionalProperties: false },
);
export const CommunityMemberParams = Type.Object(
  { communityId: Id, accountId: Id },
  { additionalProperties: false },
);
export const MemberRoleParams = Type.Object(
  { communityId: Id, accountId: Id, roleId: Id },
  { additionalProperties: false },
);
export const OverwriteParams = Type.Object({ channelId: Id, targetId: Id }, { additionalProperties: false });
export const InviteCodeParams = Type.Object(
  { code: Type.String({ pattern: "^[A-Za-z0-9_-]{16,32}$", description: "invite code" }) },
  { additionalProperties: false },
);
/** An invite to a community on another server (federation): that server's name and the code. */
export const RemoteInviteParams = Type.Object(
  { server: ServerName, code: InviteCodeParams.properties.code },
  { additionalProperties: false },
);
export const CommunityInviteParams = Type.Object(
  { communityId: Id, code: InviteCodeParams.properties.code },
  { additionalProperties: false },
);

/** A role: a named, coloured permission set with a position (higher outranks lower; @everyone is 0). */
export const CommunityRole = Type.Object({
  roleId: Id,
  name: Type.String(),
  /** 0xRRGGBB as an integer; 0 = no colour. */
  color: Type.Integer({ minimum: 0, maximum: 0xffffff }),
  position: Type.Integer({ minimum: 0 }),
  permissions: PermissionBits,
});
export type CommunityRole = Static<typeof CommunityRole>;

/** How much history a member who joins a channel later may be given by a member device. */
export const HistoryPolicy = Type.Union(
  [
    Type.Object({ kind: Type.Literal("none") }, { additionalProperties: false }),
    Type.Object({ kind: Type.Literal("from-join") }, { additionalProperties: false }),
    Type.Object(
      { kind: Type.Literal("days"), days: Type.Integer({ minimum: 1, maximum: 3650 }) },
      { additionalProperties: false },
    ),
  ],
  { description: 'history for newcomers; default { kind: "days", days: 30 } for new text channels' },
);
export type HistoryPolicy = Static<typeof HistoryPolicy>;

/**
 * What a channel is: a text channel, an announcement channel (only some roles post), a category, or
 * a voice channel (an MLS group too — its members' devices — whose exporter keys the media; the
 * media goes through the SFU, see `voice.ts`).
 */
export const ChannelType = Type.Union([
  Type.Literal("text"),
  Type.Literal("announcement"),
  Type.Literal("category"),
  Type.Literal("voice"),
]);
export type ChannelType = Static<typeof ChannelType>;

/** A channel as a member who may view it sees it. Text, announcement and voice channels each are one MLS group. */
export const CommunityChannel = Type.Object({
  channelId: Id,
  type: ChannelType,
  name: Type.String(),
  topic: Type.String(),
  /** The category it sits in (a channel of type "category"); absent at the top level. */
  parentId: Type.Optional(Id),
  /** Order among its siblings (lower first). */
  position: Type.Integer({ minimum: 0 }),
  /** The channel's MLS group (RFC 9420); absent for categories and until its first device creates it. */
  groupId: Type.Optional(Id),
  historyPolicy: HistoryPolicy,
  overwrites: Type.Array(PermissionOverwriteWire),
  /** The caller's permissions in this channel (resolved on the server, Discord's algorithm). */
  myPermissions: PermissionBits,
});
export type CommunityChannel = Static<typeof CommunityChannel>;

/** A member: an account, its roles (ids, not including @everyone) and its timeout. */
export const CommunityMember = Type.Object({
  accountId: Id,
  handle: Handle,
  displayName: Type.Optional(Type.String()),
  /** What the account is: human, bot, agent, service, device (absent from older servers). */
  entityType: Type.Optional(EntityType),
  roleIds: Type.Array(Id),
  joinedAt: Timestamp,
  /** While in the future, the member may read but not send (MODERATE_MEMBERS). */
  timedOutUntil: Type.Optional(Timestamp),
});
export type CommunityMember = Static<typeof CommunityMember>;

/** A community as one of its members sees it: only the channels that member may view. */
export const CommunityResponse = Type.Object({
  communityId: Id,
  name: Type.String(),
  description: Type.String(),
  ownerAccountId: Id,
  createdAt: Timestamp,
  roles: Type.Array(CommunityRole),
  channels: Type.Array(CommunityChannel),
  members: Type.Array(CommunityMember),
  /** The caller's community-level permissions. */
  myPermissions: PermissionBits,
  /** The server hosting the community, when it is another server than the caller's (federation). */
  server: Type.Optional(ServerName),
});
export type CommunityResponse = Static<typeof CommunityResponse>;

export const CommunitySummary = Type.Object({
  communityId: Id,
  name: Type.String(),
  ownerAccountId: Id,
  memberCount: Type.Integer({ minimum: 0 }),
  /** The server hosting the community, when it is another server than the caller's (federation). */
  server: Type.Optional(ServerName),
});
export type CommunitySummary = Static<typeof CommunitySummary>;
export const CommunityListResponse = Type.Object({ communities: Type.Array(CommunitySummary) });
export type CommunityListResponse = Static<typeof CommunityListResponse>;

export const CreateCommunityBody = Type.Object(
  { name: Name(100, "community name"), description: Type.Optional(Type.String({ maxLength: 1000 })) },
  { additionalProperties: false },
);
export type CreateCommunityBody = Static<typeof CreateCommunityBody>;
export const UpdateCommunityBody = Type.Object(
  {
    name: Type.Optional(Name(100, "community name")),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateCommunityBody = Static<typeof UpdateCommunityBody>;
export const TransferOwnershipBody = Type.Object({ accountId: Id }, { additionalProperties: false });
export type TransferOwnershipBody = Static<typeof TransferOwnershipBody>;
export const OkResponse = Type.Object({ ok: Type.Literal(true) });
export type OkResponse = Static<typeof OkResponse>;

export const CreateChannelBody = Type.Object(
  {
    name: Name(100, "channel name"),
    type: Type.Optional(ChannelType),
    topic: Type.Optional(Type.String({ maxLength: 1024 })),
    parentId: Type.Optional(Id),
    /** true: @everyone is denied VIEW_CHANNEL (the creator's roles keep it through the creator's own overwrite). */
    private: Type.Optional(Type.Boolean()),
    historyPolicy: Type.Optional(HistoryPolicy),
  },
  { additionalProperties: false },
);
export type CreateChannelBody = Static<typeof CreateChannelBody>;
export const UpdateChannelBody = Type.Object(
  {
    name: Type.Optional(Name(100, "channel name")),
    topic: Type.Optional(Type.String({ maxLength: 1024 })),
    /** A category's id, or null to move to the top level. */
    parentId: Type.Optional(Type.Union([Id, Type.Null()])),
    position: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
    historyPolicy: Type.Optional(HistoryPolicy),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateChannelBody = Static<typeof UpdateChannelBody>;
export const ChannelResponse = CommunityChannel;
export type ChannelResponse = CommunityChannel;

export const SetOverwriteBody = Type.Object(
  {
    type: Type.Union([Type.Literal("role"), Type.Literal("member")]),
    allow: PermissionBits,
    deny: PermissionBits,
  },
  { additionalProperties: false },
);
export type SetOverwriteBody = Static<typeof SetOverwriteBody>;

export const CreateRoleBody = Type.Object(
  {
    name: Name(100, "role name"),
    color: Type.Optional(Type.Integer({ minimum: 0, maximum: 0xffffff })),
    permissions: Type.Optional(PermissionBits),
  },
  { additionalProperties: false },
);
export type CreateRoleBody = Static<typeof CreateRoleBody>;
export const UpdateRoleBody = Type.Object(
  {
    name: Type.Optional(Name(100, "role name")),
    color: Type.Optional(Type.Integer({ minimum: 0, maximum: 0xffffff })),
    permissions: Type.Optional(PermissionBits),
    position: Type.Optional(Type.Integer({ minimum: 1, maximum: 250 })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateRoleBody = Static<typeof UpdateRoleBody>;

export const ModerationBody = Type.Object({ reason: Type.Optional(Reason) }, { additionalProperties: false });
export type ModerationBody = Static<typeof ModerationBody>;
export const BanBody = Type.Object(
  { accountId: Id, reason: Type.Optional(Reason) },
  { additionalProperties: false },
);
export type BanBody = Static<typeof BanBody>;
export const TimeoutBody = Type.Object(
  {
    /** How long the member may not send (ms, at most 28 days as Discord); 0 ends a timeout. */
    durationMs: Type.Integer({ minimum: 0, maximum: 28 * 24 * 3600 * 1000 }),
    reason: Type.Optional(Reason),
  },
  { additionalProperties: false },
);
export type TimeoutBody = Static<typeof TimeoutBody>;
export const CommunityBan = Type.Object({
  accountId: Id,
  handle: Handle,
  reason: Type.Optional(Type.String()),
  bannedBy: Id,
  createdAt: Timestamp,
});
export type CommunityBan = Static<typeof CommunityBan>;
export const BanListResponse = Type.Object({ bans: Type.Array(CommunityBan) });
export type BanListResponse = Static<typeof BanListResponse>;

export const CreateInviteBody = Type.Object(
  {
    /** Seconds until the invite stops working (Discord's max_age); absent: 7 days; 0: never. */
    maxAgeSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 365 * 24 * 3600 })),
    /** How many joins it allows; absent or 0: unlimited. */
    maxUses: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000 })),
  },
  { additionalProperties: false },
);
export type CreateInviteBody = Static<typeof CreateInviteBody>;
export const CommunityInvite = Type.Object({
  code: InviteCodeParams.properties.code,
  communityId: Id,
  creatorAccountId: Id,
  createdAt: Timestamp,
  expiresAt: Type.Optional(Timestamp),
  maxUses: Type.Optional(Type.Integer({ minimum: 1 })),
  uses: Type.Integer({ minimum: 0 }),
});
export type CommunityInvite = Static<typeof CommunityInvite>;
export const InviteListResponse = Type.Object({ invites: Type.Array(CommunityInvite) });
export type InviteListResponse = Static<typeof InviteListResponse>;
/** What an invite shows before joining (no member list). */
export const InvitePreviewResponse = Type.Object({
  code: InviteCodeParams.properties.code,
  communityId: Id,
  name: Type.String(),
  description: Type.String(),
  memberCount: Type.Integer({ minimum: 0 }),
  /** The server hosting the community, when it is another server than the caller's (federation). */
  server: Type.Optional(ServerName),
});
export type InvitePreviewResponse = Static<typeof InvitePreviewResponse>;

/** The audit log's action names (Discord's audit log events, in Volly's terms). */
export const AuditAction = Type.Union(
  [
    "community.update",
    "community.transfer",
    "channel.create",
    "channel.update",
    "channel.delete",
    "overwrite.set",
    "overwrite.delete",
    "role.create",
    "role.update",
    "role.delete",
    "member.role_add",
    "member.role_remove",
    "member.kick",
    "member.ban",
    "member.unban",
    "member.timeout",
    "invite.create",
    "invite.delete",
    "message.delete",
  ].map((a) => Type.Literal(a)),
);
export type AuditAction = Static<typeof AuditAction>;
export const AuditLogEntry = Type.Object({
  entryId: Id,
  actorAccountId: Id,
  action: AuditAction,
  /** The channel, role, member or invite acted on. */
  targetId: Type.Optional(Type.String()),
  reason: Type.Optional(Type.String()),
  createdAt: Timestamp,
});
export type AuditLogEntry = Static<typeof AuditLogEntry>;
export const AuditLogResponse = Type.Object({ entries: Type.Array(AuditLogEntry) });
export type AuditLogResponse = Static<typeof AuditLogResponse>;

/**
 * Gateway DISPATCH COMMUNITY_UPDATE: a community of the account changed (structure, roles, members,
 * or the account's own membership — also when it was just removed): read it again.
 */
export const CommunityUpdateEvent = Type.Object({ communityId: Id });
export type CommunityUpdateEvent = Static<typeof CommunityUpdateEvent>;

interface CommunityRouteSpec {
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  path: string;
  summary: string;
  auth: true;
  params?: TSchema;
  body?: TSchema;
  response: TSchema;
}

/** The REST v1 routes of communities; part of `ROUTES`. Every one needs a bearer token. */
export const COMMUNITY_ROUTES = {
  createCommunity: {
    method: "POST",
    path: "/v1/communities",
    summary: "Create a community; the caller is its owner. It starts with a #general text channel.",
    auth: true,
    body: CreateCommunityBody,
    response: CommunityResponse,
  },
  listCommunities: {
    method: "GET",
    path: "/v1/communities",
    summary: "The communities the caller's account is a member of.",
    auth: true,
    response: CommunityListResponse,
  },
  getCommunity: {
    method: "GET",
    path: "/v1/communities/:communityId",
    summary:
      "A community as the caller sees it: roles, members, and the channels the caller may view (members only).",
    auth: true,
    params: CommunityParams,
    response: CommunityResponse,
  },
  updateCommunity: {
    method: "PATCH",
    path: "/v1/communities/:communityId",
    summary: "Rename or describe a community (MANAGE_COMMUNITY).",
    auth: true,
    params: CommunityParams,
    body: UpdateCommunityBody,
    response: CommunityResponse,
  },
  deleteCommunity: {
    method: "DELETE",
    path: "/v1/communities/:communityId",
    summary: "Delete a community and all its channels' records (owner only).",
    auth: true,
    params: CommunityParams,
    response: OkResponse,
  },
  leaveCommunity: {
    method: "POST",
    path: "/v1/communities/:communityId/leave",
    summary: "Leave a community (the owner must transfer ownership first).",
    auth: true,
    params: CommunityParams,
    response: OkResponse,
  },
  transferOwnership: {
    method: "POST",
    path: "/v1/communities/:communityId/owner",
    summary: "Make another member the owner (owner only).",
    auth: true,
    params: CommunityParams,
    body: TransferOwnershipBody,
    response: CommunityResponse,
  },
  createChannel: {
    method: "POST",
    path: "/v1/communities/:communityId/channels",
    summary: "Create a text channel, announcement channel or category (MANAGE_CHANNELS).",
    auth: true,
    params: CommunityParams,
    body: CreateChannelBody,
    response: ChannelResponse,
  },
  updateChannel: {
    method: "PATCH",
    path: "/v1/channels/:channelId",
    summary: "Rename, set the topic, move, or set the history policy of a channel (MANAGE_CHANNELS).",
    auth: true,
    params: ChannelParams,
    body: UpdateChannelBody,
    response: ChannelResponse,
  },
  deleteChannel: {
    method: "DELETE",
    path: "/v1/channels/:channelId",
    summary: "Delete a channel (MANAGE_CHANNELS); a category's channels move to the top level.",
    auth: true,
    params: ChannelParams,
    response: OkResponse,
  },
  setOverwrite: {
    method: "PUT",
    path: "/v1/channels/:channelId/overwrites/:targetId",
    summary: "Set a role's or member's permission overwrite in a channel (MANAGE_ROLES).",
    auth: true,
    params: OverwriteParams,
    body: SetOverwriteBody,
    response: ChannelResponse,
  },
  deleteOverwrite: {
    method: "DELETE",
    path: "/v1/channels/:channelId/overwrites/:targetId",
    summary: "Remove a permission overwrite (MANAGE_ROLES).",
    auth: true,
    params: OverwriteParams,
    response: ChannelResponse,
  },
  createRole: {
    method: "POST",
    path: "/v1/communities/:communityId/roles",
    summary: "Create a role just above @everyone (MANAGE_ROLES; only permissions the caller has).",
    auth: true,
    params: CommunityParams,
    body: CreateRoleBody,
    response: CommunityRole,
  },
  updateRole: {
    method: "PATCH",
    path: "/v1/communities/:communityId/roles/:roleId",
    summary:
      "Rename, recolour, reorder or change a role's permissions (MANAGE_ROLES, below the caller's highest role).",
    auth: true,
    params: CommunityRoleParams,
    body: UpdateRoleBody,
    response: CommunityRole,
  },
  deleteRole: {
    method: "DELETE",
    path: "/v1/communities/:communityId/roles/:roleId",
    summary: "Delete a role (MANAGE_ROLES, below the caller's highest role).",
    auth: true,
    params: CommunityRoleParams,
    response: OkResponse,
  },
  addMemberRole: {
    method: "PUT",
    path: "/v1/communities/:communityId/members/:accountId/roles/:roleId",
    summary: "Give a member a role (MANAGE_ROLES, a role below the caller's highest).",
    auth: true,
    params: MemberRoleParams,
    response: CommunityMember,
  },
  removeMemberRole: {
    method: "DELETE",
    path: "/v1/communities/:communityId/members/:accountId/roles/:roleId",
    summary: "Take a role from a member (MANAGE_ROLES, a role below the caller's highest).",
    auth: true,
    params: MemberRoleParams,
    response: CommunityMember,
  },
  kickMember: {
    method: "POST",
    path: "/v1/communities/:communityId/members/:accountId/kick",
    summary: "Remove a member (KICK_MEMBERS, a member whose highest role is below the caller's).",
    auth: true,
    params: CommunityMemberParams,
    body: ModerationBody,
    response: OkResponse,
  },
  timeoutMember: {
    method: "POST",
    path: "/v1/communities/:communityId/members/:accountId/timeout",
    summary: "Stop a member from sending for a while, or end that (MODERATE_MEMBERS).",
    auth: true,
    params: CommunityMemberParams,
    body: TimeoutBody,
    response: CommunityMember,
  },
  banMember: {
    method: "POST",
    path: "/v1/communities/:communityId/bans",
    summary: "Ban an account: it is removed and cannot rejoin by invite (BAN_MEMBERS).",
    auth: true,
    params: CommunityParams,
    body: BanBody,
    response: OkResponse,
  },
  unbanMember: {
    method: "DELETE",
    path: "/v1/communities/:communityId/bans/:accountId",
    summary: "Lift a ban (BAN_MEMBERS).",
    auth: true,
    params: CommunityMemberParams,
    response: OkResponse,
  },
  listBans: {
    method: "GET",
    path: "/v1/communities/:communityId/bans",
    summary: "The community's bans (BAN_MEMBERS).",
    auth: true,
    params: CommunityParams,
    response: BanListResponse,
  },
  createCommunityInvite: {
    method: "POST",
    path: "/v1/communities/:communityId/invites",
    summary: "Create an invite code with an expiry and a use limit (CREATE_INVITE).",
    auth: true,
    params: CommunityParams,
    body: CreateInviteBody,
    response: CommunityInvite,
  },
  listCommunityInvites: {
    method: "GET",
    path: "/v1/communities/:communityId/invites",
    summary: "The community's live invites (MANAGE_COMMUNITY).",
    auth: true,
    params: CommunityParams,
    response: InviteListResponse,
  },
  revokeCommunityInvite: {
    method: "DELETE",
    path: "/v1/communities/:communityId/invites/:code",
    summary: "Revoke an invite (MANAGE_COMMUNITY, or its creator).",
    auth: true,
    params: CommunityInviteParams,
    response: OkResponse,
  },
  previewCommunityInvite: {
    method: "GET",
    path: "/v1/community-invites/:code",
    summary: "What an invite leads to: the community's name, description and member count.",
    auth: true,
    params: InviteCodeParams,
    response: InvitePreviewResponse,
  },
  joinCommunity: {
    method: "POST",
    path: "/v1/community-invites/:code/join",
    summary: "Join a community by invite (refused when banned, expired, used up or revoked).",
    auth: true,
    params: InviteCodeParams,
    response: CommunityResponse,
  },
  previewRemoteCommunityInvite: {
    method: "GET",
    path: "/v1/servers/:server/community-invites/:code",
    summary:
      "What an invite to a community on another server leads to, asked of that server by the caller's (federation).",
    auth: true,
    params: RemoteInviteParams,
    response: InvitePreviewResponse,
  },
  joinRemoteCommunity: {
    method: "POST",
    path: "/v1/servers/:server/community-invites/:code/join",
    summary:
      "Join a community on another server by invite, through the caller's server (federation); refused as joinCommunity is.",
    auth: true,
    params: RemoteInviteParams,
    response: CommunityResponse,
  },
  getAuditLog: {
    method: "GET",
    path: "/v1/communities/:communityId/audit-log",
    summary: "The community's moderation and configuration history, newest first (VIEW_AUDIT_LOG).",
    auth: true,
    params: CommunityParams,
    response: AuditLogResponse,
  },
} as const satisfies Record<string, CommunityRouteSpec>;
