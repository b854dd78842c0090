/**
 * Reading a community as the UI shows it: permissions (by name: the worker's `CommunityView`
 * resolved the bitfields), channels in categories by position, members by their highest role.
 */
import type {
  ChannelView,
  CommunityMember,
  CommunityView,
  PermissionName,
  RoleView,
} from "../worker/rpc-types.js";

export type { PermissionName };

/**
 * Every permission name in Discord's bit order, for the role editor's checkboxes (the same list
 * as @volly/protocol's PERMISSION_NAMES, which the UI thread does not load; `Complete` fails to
 * compile when the protocol gains a permission missing here).
 */
export const PERMISSION_NAMES = [
  "CREATE_INVITE",
  "KICK_MEMBERS",
  "BAN_MEMBERS",
  "ADMINISTRATOR",
  "MANAGE_CHANNELS",
  "MANAGE_COMMUNITY",
  "ADD_REACTIONS",
  "VIEW_AUDIT_LOG",
  "VIEW_CHANNEL",
  "SEND_MESSAGES",
  "MANAGE_MESSAGES",
  "ATTACH_FILES",
  "READ_MESSAGE_HISTORY",
  "MENTION_EVERYONE",
  "CONNECT",
  "SPEAK",
  "MUTE_MEMBERS",
  "DEAFEN_MEMBERS",
  "MOVE_MEMBERS",
  "MANAGE_ROLES",
  "MODERATE_MEMBERS",
] as const satisfies readonly PermissionName[];
type Complete<T extends never> = T;
export type PermissionNamesComplete = Complete<Exclude<PermissionName, (typeof PERMISSION_NAMES)[number]>>;

/** Whether a set of permission names grants `permission` (ADMINISTRATOR grants every one). */
export function can(names: readonly PermissionName[], permission: PermissionName): boolean {
  return names.includes("ADMINISTRATOR") || names.includes(permission);
}

/** A permission's name as Discord's settings show it: "MANAGE_ROLES" → "Manage Roles". */
export function permissionLabel(name: PermissionName): string {
  return name
    .toLowerCase()
    .split("_")
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(" ");
}

const byPosition = (a: ChannelView, b: ChannelView) =>
  a.position - b.position || a.name.localeCompare(b.name);

/** A category (absent: the channels at the top level) with its channels, in order. */
export interface ChannelGroup {
  category?: ChannelView;
  channels: ChannelView[];
}

/** The channels as a list shows them: top-level channels first, then each category's, by position. */
export function channelGroups(community: CommunityView): ChannelGroup[] {
  const categories = community.channels.filter((c) => c.type === "category").sort(byPosition);
  const ids = new Set(categories.map((c) => c.channelId));
  const inside = (parent?: string) =>
    community.channels
      .filter((c) => c.type !== "category")
      .filter((c) => (parent === undefined ? !c.parentId || !ids.has(c.parentId) : c.parentId === parent))
      .sort(byPosition);
  const groups: ChannelGroup[] = [{ channels: inside() }];
  for (const category of categories) groups.push({ category, channels: inside(category.channelId) });
  return groups.filter((g) => g.category || g.channels.length > 0);
}

/** The channels that carry messages, in the order the list shows them. */
export function textChannelsInOrder(community: CommunityView): ChannelView[] {
  return channelGroups(community).flatMap((g) => g.channels);
}

/** The roles other than @everyone (whose id is the community's), highest first. */
export function assignableRoles(community: CommunityView): RoleView[] {
  return community.roles
    .filter((r) => r.roleId !== community.communityId)
    .sort((a, b) => b.position - a.position);
}

/** A member's highest role (undefined: only @everyone). */
export function highestRole(community: CommunityView, member: CommunityMember): RoleView | undefined {
  return assignableRoles(community).find((r) => member.roleIds.includes(r.roleId));
}

/** The member list's sections: one per role that is some member's highest, then "Members". */
export function memberSections(
  community: CommunityView,
): Array<{ title: string; role?: RoleView; members: CommunityMember[] }> {
  const byName = (a: CommunityMember, b: CommunityMember) =>
    (a.displayName || a.handle).localeCompare(b.displayName || b.handle);
  const sections = assignableRoles(community).map((role) => ({
    title: role.name,
    role,
    members: community.members.filter((m) => highestRole(community, m)?.roleId === role.roleId).sort(byName),
  }));
  const plain = community.members.filter((m) => !highestRole(community, m)).sort(byName);
  return [...sections, { title: "Members", members: plain }].filter((s) => s.members.length > 0);
}

/** A role colour (0xRRGGBB; 0 = none) as CSS, or undefined for none. */
export function roleColor(color: number): string | undefined {
  return color === 0 ? undefined : `#${color.toString(16).padStart(6, "0")}`;
}

/** Whether a member is timed out now. */
export function isTimedOut(member: CommunityMember, now = Date.now()): boolean {
  return member.timedOutUntil !== undefined && member.timedOutUntil > now;
}

/**
 * The position that moves a channel one place up (`step` -1) or down (+1) among the channels the
 * list shows with it (its category's, or the top level's), or undefined at the edge. Positions
 * count every sibling the server orders with it (at the top level, categories too), as the server's
 * `updateChannel` renumbers them with the moved channel inserted at that index.
 */
export function movedPosition(
  community: CommunityView,
  channel: ChannelView,
  step: -1 | 1,
): number | undefined {
  const group = channelGroups(community).find((g) =>
    g.channels.some((c) => c.channelId === channel.channelId),
  );
  const shown = group?.channels ?? [];
  const neighbour = shown[shown.findIndex((c) => c.channelId === channel.channelId) + step];
  if (!neighbour) return undefined;
  const siblings = community.channels
    .filter((c) => (c.parentId ?? undefined) === (channel.parentId ?? undefined))
    .sort(byPosition);
  return siblings.findIndex((c) => c.channelId === neighbour.channelId);
}
