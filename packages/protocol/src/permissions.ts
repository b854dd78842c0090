import { type Static, Type } from "@sinclair/typebox";
import { Id } from "./common.js";
import { VollyError } from "./errors.js";

/*
 * Community permissions, modelled on Discord's (https://discord.com/developers/docs/topics/permissions).
 * The server enforces them and clients check them with this same code, so both always agree.
 *
 * A permission set is a JS number holding a bitfield below 2^52, exact in a double. JavaScript's
 * bitwise operators work on 32-bit integers and would silently drop MODERATE_MEMBERS (bit 40), so
 * every bit operation here splits a value into two 26-bit halves and combines those.
 */

/**
 * Permission names and their bit values: Discord's bit positions (Discord permissions docs, Bitwise
 * Permission Flags). `CREATE_INVITE` is Discord's CREATE_INSTANT_INVITE (bit 0), `MANAGE_COMMUNITY`
 * Discord's MANAGE_GUILD (bit 5); bits Volly has no use for (threads, stages, …) are left undefined.
 */
export const PERMISSIONS = {
  /** Create invites to the community (bit 0). */
  CREATE_INVITE: 1,
  /** Remove members from the community; they may join again (bit 1). */
  KICK_MEMBERS: 2,
  /** Remove members and keep them from joining again (bit 2). */
  BAN_MEMBERS: 4,
  /** Every permission, in every channel, whatever the channel's overwrites and timeouts (bit 3). */
  ADMINISTRATOR: 8,
  /** Create, edit and delete channels (bit 4). */
  MANAGE_CHANNELS: 16,
  /** Edit the community itself: name, icon, settings (bit 5). */
  MANAGE_COMMUNITY: 32,
  /** Add reactions to messages (bit 6). */
  ADD_REACTIONS: 64,
  /** Read the community's audit log (bit 7). */
  VIEW_AUDIT_LOG: 128,
  /** See a channel and read its new messages; without it a member has no permission in the channel (bit 10). */
  VIEW_CHANNEL: 1024,
  /** Send messages in a channel (bit 11). */
  SEND_MESSAGES: 2048,
  /** Delete or pin other members' messages (bit 13). */
  MANAGE_MESSAGES: 8192,
  /** Attach files to messages (bit 15). */
  ATTACH_FILES: 32768,
  /** Read a channel's messages from before the member opened it (bit 16). */
  READ_MESSAGE_HISTORY: 65536,
  /** Mention @everyone and @here (bit 17). */
  MENTION_EVERYONE: 131072,
  /** Join a voice channel (bit 20). */
  CONNECT: 1048576,
  /** Speak in a voice channel; without it a member joins server-muted (bit 21). */
  SPEAK: 2097152,
  /** Server-mute other members in voice channels (bit 22). */
  MUTE_MEMBERS: 4194304,
  /** Server-deafen other members in voice channels (bit 23). */
  DEAFEN_MEMBERS: 8388608,
  /** Move members between voice channels, or disconnect them (bit 24). */
  MOVE_MEMBERS: 16777216,
  /** Create, edit and grant roles below one's own, and edit channel overwrites (bit 28). */
  MANAGE_ROLES: 268435456,
  /** Time members out (bit 40, 2^40). */
  MODERATE_MEMBERS: 1099511627776,
} as const;

/** The name of a permission, e.g. `"SEND_MESSAGES"` (a key of {@link PERMISSIONS}). */
export type PermissionName = keyof typeof PERMISSIONS;

/** Every permission name, in bit order (lowest bit first). */
export const PERMISSION_NAMES: readonly PermissionName[] = Object.freeze(
  (Object.keys(PERMISSIONS) as PermissionName[]).sort((a, b) => PERMISSIONS[a] - PERMISSIONS[b]),
);

/** 2^26: a permission set below 2^52 is `high * HALF + low` with both halves below 2^26. */
const HALF = 2 ** 26;
/** 2^52: every permission set is below this. */
const LIMIT = 2 ** 52;

/** True when `bits` is a permission set: an integer in [0, 2^52). */
function isBitfield(bits: number): boolean {
  return Number.isInteger(bits) && bits >= 0 && bits < LIMIT;
}

/** Throws a RangeError (a caller's bug, not bad input) unless `bits` is an integer in [0, 2^52). */
function checkBitfield(bits: number, what: string): void {
  if (!isBitfield(bits)) {
    throw new RangeError(`${what} is not a permission set (an integer in [0, 2^52)): ${bits}`);
  }
}

/** Splits a checked permission set into its high and low 26-bit halves (each safe for 32-bit operators). */
function halves(bits: number): [high: number, low: number] {
  const low = bits % HALF;
  return [(bits - low) / HALF, low];
}

/** OR of permission sets, exact above 32 bits (the sets are checked). */
function or(sets: readonly number[], what: string): number {
  let high = 0;
  let low = 0;
  for (const bits of sets) {
    checkBitfield(bits, what);
    const [h, l] = halves(bits);
    high |= h;
    low |= l;
  }
  return high * HALF + low;
}

/** `bits` AND `mask`, exact above 32 bits (both checked). */
function and(bits: number, mask: number): number {
  checkBitfield(bits, "bits");
  checkBitfield(mask, "mask");
  const [bh, bl] = halves(bits);
  const [mh, ml] = halves(mask);
  return (bh & mh) * HALF + (bl & ml);
}

/**
 * Every defined permission OR'ed: what the community's owner and members with ADMINISTRATOR have
 * (Discord permissions docs, Permission Overwrites: `ALL` in compute_base_permissions).
 */
export const ALL_PERMISSIONS: number = or(Object.values(PERMISSIONS), "PERMISSIONS");

/**
 * Throws a RangeError (a caller's bug) unless `name` is a permission name. TypeScript rules out a
 * wrong name at compile time; this guards plain JavaScript callers and names read from storage.
 */
function bitOf(name: PermissionName): number {
  if (typeof name !== "string" || !Object.hasOwn(PERMISSIONS, name)) {
    throw new RangeError(`not a permission name: ${String(name)}`);
  }
  return PERMISSIONS[name];
}

/**
 * The permission set holding exactly the named permissions (duplicates are harmless), e.g.
 * `permissionsOf(["VIEW_CHANNEL", "SEND_MESSAGES"])` is 3072.
 *
 * @param names permission names, in any order
 * @throws RangeError when a name is not a key of {@link PERMISSIONS}
 * @see Discord permissions docs, Bitwise Permission Flags
 */
export function permissionsOf(names: readonly PermissionName[]): number {
  return or(names.map(bitOf), "names");
}

/**
 * The names of the defined permissions in `bits`, in bit order; bits that name no permission are
 * left out. `permissionsOf(permissionNamesOf(x))` is `x` for every `x` with only defined bits.
 *
 * @param bits a permission set (an integer in [0, 2^52))
 * @throws RangeError when `bits` is not an integer in [0, 2^52)
 * @see Discord permissions docs, Bitwise Permission Flags
 */
export function permissionNamesOf(bits: number): PermissionName[] {
  checkBitfield(bits, "bits");
  return PERMISSION_NAMES.filter((name) => and(bits, PERMISSIONS[name]) !== 0);
}

/**
 * True when `bits` holds the named permission. This only reads the bit: ask
 * {@link computeChannelPermissions} or {@link computeCommunityPermissions} for what a member may do
 * (owner, ADMINISTRATOR, overwrites, timeouts, implicit permissions).
 *
 * @param bits a permission set (an integer in [0, 2^52))
 * @param name the permission to look for
 * @throws RangeError when `bits` is not an integer in [0, 2^52) or `name` is not a permission name
 * @see Discord permissions docs, Bitwise Permission Flags
 */
export function hasPermission(bits: number, name: PermissionName): boolean {
  return and(bits, bitOf(name)) !== 0;
}

/**
 * The union (bitwise OR) of permission sets, exact for all 52 bits; 0 for no sets.
 *
 * @param sets permission sets (integers in [0, 2^52); bits that name no permission are kept)
 * @throws RangeError when a set is not an integer in [0, 2^52)
 * @see Discord permissions docs, Permission Overwrites (compute_base_permissions ORs the roles)
 */
export function combinePermissions(...sets: number[]): number {
  return or(sets, "set");
}

/**
 * `bits` without the bits of `removed` (bitwise `bits AND NOT removed`), exact for all 52 bits.
 *
 * @param bits a permission set (an integer in [0, 2^52); bits that name no permission are kept)
 * @param removed the permissions to take away (an integer in [0, 2^52))
 * @throws RangeError when either is not an integer in [0, 2^52)
 * @see Discord permissions docs, Permission Overwrites (`permissions &= ~deny`)
 */
export function removePermissions(bits: number, removed: number): number {
  checkBitfield(bits, "bits");
  checkBitfield(removed, "removed");
  const [bh, bl] = halves(bits);
  const [rh, rl] = halves(removed);
  return (bh & ~rh) * HALF + (bl & ~rl);
}

/**
 * What the @everyone role of a new community may do, like Discord's defaults for a new server: see
 * channels, send messages, read history, add reactions, attach files, create invites, connect to and
 * speak in voice channels. Volly's choice (Discord documents the bits, not a default set).
 *
 * @see Discord permissions docs, Bitwise Permission Flags
 */
export const DEFAULT_EVERYONE_PERMISSIONS: number = permissionsOf([
  "VIEW_CHANNEL",
  "SEND_MESSAGES",
  "READ_MESSAGE_HISTORY",
  "ADD_REACTIONS",
  "ATTACH_FILES",
  "CREATE_INVITE",
  "CONNECT",
  "SPEAK",
]);

/**
 * The wire form of a permission set: its decimal string, as Discord serializes permissions (a JSON
 * number would not be exact in every language's parser).
 *
 * @param bits a permission set holding only defined permissions (see {@link ALL_PERMISSIONS})
 * @returns the canonical decimal string, which {@link parsePermissions} accepts
 * @throws RangeError when `bits` is not an integer in [0, 2^52) or holds a bit that names no
 *   permission (the receiver would refuse it)
 * @see Discord permissions docs, Permissions (serialized as strings)
 */
export function serializePermissions(bits: number): string {
  checkBitfield(bits, "bits");
  if (removePermissions(bits, ALL_PERMISSIONS) !== 0) {
    throw new RangeError(`bits hold undefined permission bits: ${bits}`);
  }
  return String(bits);
}

/** A canonical decimal integer of at most 16 digits (2^52 has 16): the wire form's pattern. */
const DECIMAL_PATTERN = "^(0|[1-9][0-9]{0,15})$";
const DECIMAL = new RegExp(DECIMAL_PATTERN);

/**
 * Reads a permission set from its wire form (see {@link serializePermissions}).
 *
 * @param text a canonical decimal integer: no sign, no leading zero, no fraction or exponent
 * @param field the field's name for the error (default `"permissions"`)
 * @returns the permission set
 * @throws VollyError VOLLY_E_BAD_REQUEST, details `{ field, value }` (`value` cut to 64 characters),
 *   when `text` is not such an integer in [0, 2^52) or holds a bit that names no permission
 * @see Discord permissions docs, Permissions (serialized as strings)
 */
export function parsePermissions(text: string, field = "permissions"): number {
  const fail = (why: string): never => {
    const value = typeof text === "string" ? text.slice(0, 64) : String(text).slice(0, 64);
    throw new VollyError("VOLLY_E_BAD_REQUEST", `Invalid ${field}: ${why}`, { field, value });
  };
  if (typeof text !== "string" || !DECIMAL.test(text)) {
    return fail("not a decimal integer without sign or leading zeros");
  }
  const bits = Number(text);
  if (bits >= LIMIT) return fail("not below 2^52");
  if (removePermissions(bits, ALL_PERMISSIONS) !== 0) return fail("holds bits that name no permission");
  return bits;
}

/**
 * Reads a comma-separated list of permission names, the command line's form, e.g.
 * `"VIEW_CHANNEL, SEND_MESSAGES"`. Names are case-sensitive; whitespace around a name is ignored;
 * an empty or blank text is the empty set (0).
 *
 * @param text permission names separated by commas
 * @returns the permission set holding the named permissions
 * @throws VollyError VOLLY_E_BAD_REQUEST with `details.unknown`, the items that are no permission
 *   name (an empty item, as in `"A,,B"`, is listed as `""`), in the order given
 * @see Discord permissions docs, Bitwise Permission Flags
 */
export function parsePermissionList(text: string): number {
  if (text.trim() === "") return 0;
  const items = text.split(",").map((item) => item.trim());
  const unknown = items.filter((item) => !Object.hasOwn(PERMISSIONS, item));
  if (unknown.length > 0) {
    throw new VollyError(
      "VOLLY_E_BAD_REQUEST",
      `Unknown permission name${unknown.length > 1 ? "s" : ""}: ${unknown.map((n) => JSON.stringify(n)).join(", ")}`,
      { unknown },
    );
  }
  return permissionsOf(items as PermissionName[]);
}

/**
 * A channel's permission overwrite: permissions allowed and denied in that channel to one role
 * (`type: "role"`; the community's id is its @everyone role) or one member (`type: "member"`).
 * Several overwrites for the same `type` and `id` act as one whose `allow` and `deny` are their ORs.
 *
 * @see Discord permissions docs, Permission Overwrites
 */
export interface PermissionOverwrite {
  /** The role's id (the community's id for @everyone) or the member's account id. */
  id: string;
  /** Whether `id` names a role or a member. */
  type: "role" | "member";
  /** Permissions granted in the channel (a permission set). */
  allow: number;
  /** Permissions taken away in the channel (a permission set); applied before `allow`. */
  deny: number;
}

/**
 * One member of a community, as far as their permissions go: the `member` and `guild` of Discord's
 * pseudo-code.
 *
 * @see Discord permissions docs, Permission Overwrites (compute_base_permissions)
 */
export interface PermissionSubject {
  /** The community's id, which is also its @everyone role's id (Discord's guild id = @everyone role id). */
  communityId: string;
  /** The community owner's account id: the owner has every permission. */
  ownerAccountId: string;
  /** The member's account id: the id of a member-specific overwrite. */
  accountId: string;
  /** Permissions of the @everyone role. */
  everyonePermissions: number;
  /**
   * The member's roles other than @everyone (id + permission bits). A role whose id is the
   * community's id is @everyone's own entry: its permissions count, its channel overwrite is not
   * applied a second time.
   */
  roles: readonly { id: string; permissions: number }[];
  /** Epoch ms until which the member is timed out; absent or <= now: not timed out. */
  timedOutUntil?: number;
}

/** What a timed-out member keeps (Discord permissions docs, Permissions For Timed Out Members). */
const TIMEOUT_KEEPS = permissionsOf(["VIEW_CHANNEL", "READ_MESSAGE_HISTORY"]);
/** What is lost without SEND_MESSAGES (Discord permissions docs, Implicit Permissions). */
const NEEDS_SEND = permissionsOf(["MENTION_EVERYONE", "ATTACH_FILES"]);

/**
 * A member's community-wide permissions before channel overwrites and timeouts, Discord's
 * `compute_base_permissions`: the owner has {@link ALL_PERMISSIONS}; anyone else has @everyone's
 * permissions OR'ed with each of their roles' — and {@link ALL_PERMISSIONS} if that holds
 * ADMINISTRATOR. The result holds defined permissions only (undefined bits of roles are dropped).
 *
 * @param subject the member, their roles and the community
 * @throws RangeError when a role's or @everyone's permissions are not an integer in [0, 2^52)
 * @see Discord permissions docs, Permission Overwrites (compute_base_permissions)
 */
export function computeBasePermissions(subject: PermissionSubject): number {
  if (subject.accountId === subject.ownerAccountId) return ALL_PERMISSIONS;
  const permissions = or(
    [subject.everyonePermissions, ...subject.roles.map((role) => role.permissions)],
    "role permissions",
  );
  if (and(permissions, PERMISSIONS.ADMINISTRATOR) !== 0) return ALL_PERMISSIONS;
  return and(permissions, ALL_PERMISSIONS);
}

/**
 * True when base permissions (from {@link computeBasePermissions}) are the owner's or an
 * administrator's: overwrites and timeouts do not apply (such a base is {@link ALL_PERMISSIONS}).
 */
function isUnrestricted(base: number): boolean {
  return hasPermission(base, "ADMINISTRATOR");
}

/** True when the member is timed out at `now` (Discord permissions docs, Permissions For Timed Out Members). */
function isTimedOut(subject: PermissionSubject, now: number): boolean {
  return subject.timedOutUntil !== undefined && subject.timedOutUntil > now;
}

/**
 * A member's permissions in the community as a whole (kicking, banning, managing roles, …: what no
 * channel overwrite touches): {@link computeBasePermissions}, then, while the member is timed out,
 * only VIEW_CHANNEL and READ_MESSAGE_HISTORY of it. The owner and members with ADMINISTRATOR are
 * never restricted by a timeout.
 *
 * @param subject the member, their roles and the community
 * @param now the current time (epoch ms), compared with `subject.timedOutUntil`
 * @throws RangeError when a role's or @everyone's permissions are not an integer in [0, 2^52)
 * @see Discord permissions docs, Permission Overwrites (compute_base_permissions) and Permissions
 *   For Timed Out Members
 */
export function computeCommunityPermissions(subject: PermissionSubject, now: number): number {
  const base = computeBasePermissions(subject);
  if (isUnrestricted(base) || !isTimedOut(subject, now)) return base;
  return and(base, TIMEOUT_KEEPS);
}

/**
 * A member's permissions in one channel. In order:
 * 1. {@link computeBasePermissions}; the owner and members with ADMINISTRATOR get
 *    {@link ALL_PERMISSIONS} whatever the overwrites and timeouts;
 * 2. Discord's `compute_overwrites`: the @everyone overwrite (`type: "role"`, `id` = the community's
 *    id) denies, then allows; then the deny of every overwrite of a role the member has is applied,
 *    then the allow of all of them (so one role's allow beats another role's deny); then the
 *    member's own overwrite (`type: "member"`, `id` = the account id) denies, then allows.
 *    Overwrites of roles the member does not have are ignored;
 * 3. while the member is timed out, only VIEW_CHANNEL and READ_MESSAGE_HISTORY are kept;
 * 4. implicit permissions: without VIEW_CHANNEL, nothing (0); without SEND_MESSAGES, no
 *    MENTION_EVERYONE and no ATTACH_FILES.
 * The result holds defined permissions only. Overwrites are taken as given: one that allows a
 * community-wide permission (even ADMINISTRATOR) sets that bit here, as Discord's pseudo-code does;
 * community-wide actions are checked with {@link computeCommunityPermissions}.
 *
 * @param subject the member, their roles and the community
 * @param overwrites the channel's permission overwrites, in any order
 * @param now the current time (epoch ms), compared with `subject.timedOutUntil`
 * @throws RangeError when a permission set of a role, @everyone or an overwrite is not an integer
 *   in [0, 2^52)
 * @see Discord permissions docs, Permission Overwrites (compute_overwrites, compute_permissions),
 *   Permissions For Timed Out Members and Implicit Permissions
 */
export function computeChannelPermissions(
  subject: PermissionSubject,
  overwrites: readonly PermissionOverwrite[],
  now: number,
): number {
  const base = computeBasePermissions(subject);
  if (isUnrestricted(base)) return ALL_PERMISSIONS;

  // The three steps of compute_overwrites, each collecting the allows and denies it applies.
  const everyone = { allow: [] as number[], deny: [] as number[] };
  const roles = { allow: [] as number[], deny: [] as number[] };
  const member = { allow: [] as number[], deny: [] as number[] };
  const roleIds = new Set(subject.roles.map((role) => role.id));
  const stepOf = (overwrite: PermissionOverwrite) => {
    if (overwrite.type === "member") return overwrite.id === subject.accountId ? member : undefined;
    // @everyone's overwrite is applied once, as @everyone's, even if its id is listed among the roles.
    if (overwrite.id === subject.communityId) return everyone;
    return roleIds.has(overwrite.id) ? roles : undefined;
  };
  for (const overwrite of overwrites) {
    // Every overwrite's sets are checked, even those for others: a bad one is a bug wherever it is.
    checkBitfield(overwrite.allow, "overwrite.allow");
    checkBitfield(overwrite.deny, "overwrite.deny");
    const step = stepOf(overwrite);
    step?.allow.push(overwrite.allow);
    step?.deny.push(overwrite.deny);
  }

  let permissions = base;
  for (const step of [everyone, roles, member]) {
    permissions = removePermissions(permissions, or(step.deny, "overwrite.deny"));
    permissions = or([permissions, ...step.allow], "overwrite.allow");
  }
  permissions = and(permissions, ALL_PERMISSIONS);

  if (isTimedOut(subject, now)) permissions = and(permissions, TIMEOUT_KEEPS);
  if (!hasPermission(permissions, "VIEW_CHANNEL")) return 0;
  if (!hasPermission(permissions, "SEND_MESSAGES")) permissions = removePermissions(permissions, NEEDS_SEND);
  return permissions;
}

/** A permission set on the wire: a canonical decimal integer below 2^52 (read with {@link parsePermissions}). */
export const PermissionBits = Type.String({
  pattern: DECIMAL_PATTERN,
  description: "permission set: decimal integer below 2^52 of permission bits (Discord's bit values)",
});
export type PermissionBits = Static<typeof PermissionBits>;

/**
 * A channel permission overwrite on the wire (see {@link PermissionOverwrite}); `allow` and `deny`
 * are read with {@link parsePermissions}, which also refuses values of 2^52 and above and bits that
 * name no permission.
 *
 * @see Discord permissions docs, Permission Overwrites
 */
export const PermissionOverwriteWire = Type.Object(
  {
    id: Id,
    type: Type.Union([Type.Literal("role"), Type.Literal("member")], {
      description: "whether id is a role's (the community's id for @everyone) or a member's account id",
    }),
    allow: PermissionBits,
    deny: PermissionBits,
  },
  { additionalProperties: false },
);
export type PermissionOverwriteWire = Static<typeof PermissionOverwriteWire>;
