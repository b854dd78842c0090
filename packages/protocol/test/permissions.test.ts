import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ALL_PERMISSIONS,
  combinePermissions,
  computeBasePermissions,
  computeChannelPermissions,
  computeCommunityPermissions,
  DEFAULT_EVERYONE_PERMISSIONS,
  hasPermission,
  matches,
  PERMISSION_NAMES,
  PERMISSIONS,
  PermissionBits,
  type PermissionName,
  type PermissionOverwrite,
  PermissionOverwriteWire,
  type PermissionSubject,
  parsePermissionList,
  parsePermissions,
  permissionNamesOf,
  permissionsOf,
  removePermissions,
  serializePermissions,
  VollyError,
} from "../src/index.js";

/*
 * Spec: Discord permissions docs, https://discord.com/developers/docs/topics/permissions. The test
 * names quote it where it has words for the case.
 */

// ---------------------------------------------------------------------------------------------
// The reference: Discord's bit positions and pseudo-code, transcribed literally with BigInt (exact
// for every bit), sharing no code with the module under test.
// ---------------------------------------------------------------------------------------------

/** Discord's bit position of each permission (Bitwise Permission Flags). */
const DISCORD_BIT: Record<PermissionName, bigint> = {
  CREATE_INVITE: 0n, // CREATE_INSTANT_INVITE
  KICK_MEMBERS: 1n,
  BAN_MEMBERS: 2n,
  ADMINISTRATOR: 3n,
  MANAGE_CHANNELS: 4n,
  MANAGE_COMMUNITY: 5n, // MANAGE_GUILD
  ADD_REACTIONS: 6n,
  VIEW_AUDIT_LOG: 7n,
  VIEW_CHANNEL: 10n,
  SEND_MESSAGES: 11n,
  MANAGE_MESSAGES: 13n,
  ATTACH_FILES: 15n,
  READ_MESSAGE_HISTORY: 16n,
  MENTION_EVERYONE: 17n,
  CONNECT: 20n,
  SPEAK: 21n,
  MUTE_MEMBERS: 22n,
  DEAFEN_MEMBERS: 23n,
  MOVE_MEMBERS: 24n,
  MANAGE_ROLES: 28n,
  MODERATE_MEMBERS: 40n,
};
const NAMES = Object.keys(DISCORD_BIT) as PermissionName[];
const flag = (name: PermissionName): bigint => 1n << DISCORD_BIT[name];
const flags = (...names: PermissionName[]): bigint => names.reduce((bits, name) => bits | flag(name), 0n);
const ALL = flags(...NAMES);
const ADMINISTRATOR = flag("ADMINISTRATOR");
const MAX = 2n ** 52n - 1n;

interface Member {
  communityId: string;
  ownerAccountId: string;
  accountId: string;
  everyonePermissions: bigint;
  roles: { id: string; permissions: bigint }[];
  timedOutUntil?: number;
}
type Overwrite = { id: string; type: "role" | "member"; allow: bigint; deny: bigint };

/** compute_base_permissions(member, guild) */
function refBasePermissions(member: Member): bigint {
  if (member.accountId === member.ownerAccountId) return ALL;
  let permissions = member.everyonePermissions; // role_everyone = guild.get_role(guild.id)
  for (const role of member.roles) permissions |= role.permissions;
  if ((permissions & ADMINISTRATOR) === ADMINISTRATOR) return ALL;
  return permissions;
}

/** compute_overwrites(base_permissions, member, channel); overwrites have unique (type, id). */
function refOverwrites(base: bigint, member: Member, overwrites: Overwrite[]): bigint {
  if ((base & ADMINISTRATOR) === ADMINISTRATOR) return ALL;
  const get = (type: "role" | "member", id: string) => overwrites.find((o) => o.type === type && o.id === id);
  let permissions = base;
  const overwriteEveryone = get("role", member.communityId);
  if (overwriteEveryone) {
    permissions &= ~overwriteEveryone.deny;
    permissions |= overwriteEveryone.allow;
  }
  let allow = 0n;
  let deny = 0n;
  for (const role of member.roles) {
    const overwriteRole = get("role", role.id);
    if (overwriteRole) {
      allow |= overwriteRole.allow;
      deny |= overwriteRole.deny;
    }
  }
  permissions &= ~deny;
  permissions |= allow;
  const overwriteMember = get("member", member.accountId);
  if (overwriteMember) {
    permissions &= ~overwriteMember.deny;
    permissions |= overwriteMember.allow;
  }
  return permissions;
}

const isTimedOut = (member: Member, now: number) =>
  member.timedOutUntil !== undefined && member.timedOutUntil > now;

/** compute_permissions, then the timeout, then Implicit Permissions; defined bits only. */
function refChannelPermissions(member: Member, overwrites: Overwrite[], now: number): bigint {
  const base = refBasePermissions(member);
  let permissions = refOverwrites(base, member, overwrites);
  if ((base & ADMINISTRATOR) === ADMINISTRATOR) return ALL; // owner and admins: exempt from all below
  if (isTimedOut(member, now)) permissions &= flags("VIEW_CHANNEL", "READ_MESSAGE_HISTORY");
  if ((permissions & flag("VIEW_CHANNEL")) === 0n) return 0n;
  if ((permissions & flag("SEND_MESSAGES")) === 0n) permissions &= ~flags("MENTION_EVERYONE", "ATTACH_FILES");
  return permissions & ALL;
}

/** compute_base_permissions, then the timeout; defined bits only. */
function refCommunityPermissions(member: Member, now: number): bigint {
  const base = refBasePermissions(member);
  if ((base & ADMINISTRATOR) === ADMINISTRATOR) return ALL;
  return (isTimedOut(member, now) ? base & flags("VIEW_CHANNEL", "READ_MESSAGE_HISTORY") : base) & ALL;
}

function toSubject(member: Member): PermissionSubject {
  return {
    communityId: member.communityId,
    ownerAccountId: member.ownerAccountId,
    accountId: member.accountId,
    everyonePermissions: Number(member.everyonePermissions),
    roles: member.roles.map((r) => ({ id: r.id, permissions: Number(r.permissions) })),
    ...(member.timedOutUntil === undefined ? {} : { timedOutUntil: member.timedOutUntil }),
  };
}

const toOverwrite = (o: Overwrite): PermissionOverwrite => ({
  id: o.id,
  type: o.type,
  allow: Number(o.allow),
  deny: Number(o.deny),
});

// ---------------------------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------------------------

const COMMUNITY = "community";
const ME = "me";
const OWNER = "owner";
const OTHER = "someone-else";
const ROLE_POOL = ["r1", "r2", "r3", "r4", "r5"];
const NOW = 1_700_000_000_000;

/** Any value below 2^52, as BigInt. */
const bits52 = fc.bigInt({ min: 0n, max: MAX });
/** Bits above and between the defined ones (ignored by the computations). */
const undefinedBits = bits52.map((b) => b & ~ALL);
/**
 * A permission set: mostly defined permissions (high bits like MODERATE_MEMBERS included),
 * ADMINISTRATOR now and then (it would otherwise make half the subjects administrators), sometimes
 * undefined bits too.
 */
const permissionSet = fc
  .record({
    names: fc.subarray(NAMES.filter((n) => n !== "ADMINISTRATOR")),
    admin: fc.integer({ min: 0, max: 31 }).map((n) => n === 0),
    junk: fc.option(undefinedBits, { freq: 4 }),
  })
  .map(({ names, admin, junk }) => flags(...names) | (admin ? ADMINISTRATOR : 0n) | (junk ?? 0n));

const member: fc.Arbitrary<Member> = fc.record(
  {
    communityId: fc.constant(COMMUNITY),
    // The member is the owner in 1 of 8 subjects (owners and admins get ALL: little to check).
    ownerAccountId: fc.oneof(
      { arbitrary: fc.constant(OWNER), weight: 7 },
      { arbitrary: fc.constant(ME), weight: 1 },
    ),
    accountId: fc.constant(ME),
    everyonePermissions: permissionSet,
    roles: fc
      .subarray(ROLE_POOL)
      .chain((ids) =>
        fc.tuple(...ids.map((id) => permissionSet.map((permissions) => ({ id, permissions })))),
      ),
    timedOutUntil: fc.integer({ min: NOW - 3, max: NOW + 3 }),
  },
  { requiredKeys: ["communityId", "ownerAccountId", "accountId", "everyonePermissions", "roles"] },
);

/**
 * A channel's overwrites, unique per (type, id) as in Discord, in random order: for @everyone,
 * for any role of the pool (the member's or not), for the member, for another member, and the
 * confusable ones (a member overwrite with the community's id, a role overwrite with the account id).
 */
const TARGETS: { type: "role" | "member"; id: string }[] = [
  { type: "role", id: COMMUNITY },
  ...ROLE_POOL.map((id) => ({ type: "role" as const, id })),
  { type: "member", id: ME },
  { type: "member", id: OTHER },
  { type: "member", id: COMMUNITY },
  { type: "role", id: ME },
];
const overwrites: fc.Arbitrary<Overwrite[]> = fc
  .shuffledSubarray(TARGETS)
  .chain((targets) =>
    fc.tuple(
      ...targets.map((t) =>
        fc
          .record({ allow: permissionSet, deny: permissionSet })
          .map(({ allow, deny }) => ({ ...t, allow, deny })),
      ),
    ),
  );

// ---------------------------------------------------------------------------------------------
// Helpers for the documented examples
// ---------------------------------------------------------------------------------------------

const P = PERMISSIONS;

function subject(over: Partial<PermissionSubject> = {}): PermissionSubject {
  return {
    communityId: COMMUNITY,
    ownerAccountId: OWNER,
    accountId: ME,
    everyonePermissions: DEFAULT_EVERYONE_PERMISSIONS,
    roles: [],
    ...over,
  };
}

function role(id: string, allow: number, deny = 0): PermissionOverwrite {
  return { id, type: "role", allow, deny };
}

function canIn(s: PermissionSubject, ows: PermissionOverwrite[], name: PermissionName, now = NOW): boolean {
  return hasPermission(computeChannelPermissions(s, ows, now), name);
}

/** Runs `fn`, expecting it to throw a VollyError, and returns that error. */
function caught(fn: () => unknown): VollyError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(VollyError);
    return error as VollyError;
  }
  throw new Error("expected a VollyError");
}

// ---------------------------------------------------------------------------------------------

describe("Discord permissions docs, Bitwise Permission Flags", () => {
  it("every permission has Discord's bit value", () => {
    expect(Object.keys(PERMISSIONS).sort()).toEqual([...NAMES].sort());
    for (const name of NAMES) expect(PERMISSIONS[name], name).toBe(Number(flag(name)));
  });

  it("MODERATE_MEMBERS is 1 << 40 = 1099511627776 and serializes as the string '1099511627776'", () => {
    expect(P.MODERATE_MEMBERS).toBe(2 ** 40);
    expect(P.MODERATE_MEMBERS).toBe(1099511627776);
    expect(serializePermissions(P.MODERATE_MEMBERS)).toBe("1099511627776");
    expect(parsePermissions("1099511627776")).toBe(P.MODERATE_MEMBERS);
  });

  it("bits above 32 survive combining, removing and reading (no 32-bit `|`)", () => {
    const bits = combinePermissions(P.MODERATE_MEMBERS, P.VIEW_CHANNEL);
    expect(bits).toBe(1099511628800);
    expect(hasPermission(bits, "MODERATE_MEMBERS")).toBe(true);
    expect(hasPermission(P.MODERATE_MEMBERS, "CREATE_INVITE")).toBe(false);
    expect(removePermissions(bits, P.VIEW_CHANNEL)).toBe(P.MODERATE_MEMBERS);
    expect(permissionNamesOf(bits)).toEqual(["VIEW_CHANNEL", "MODERATE_MEMBERS"]);
  });

  it("PERMISSION_NAMES lists every permission in bit order; ALL_PERMISSIONS ORs them", () => {
    expect(PERMISSION_NAMES).toEqual([...NAMES].sort((a, b) => Number(DISCORD_BIT[a] - DISCORD_BIT[b])));
    expect(BigInt(ALL_PERMISSIONS)).toBe(ALL);
    expect(permissionNamesOf(ALL_PERMISSIONS)).toEqual(PERMISSION_NAMES);
  });

  it("@everyone of a new community may view, send, read history, react, attach files, invite, connect and speak", () => {
    expect(permissionNamesOf(DEFAULT_EVERYONE_PERMISSIONS)).toEqual([
      "CREATE_INVITE",
      "ADD_REACTIONS",
      "VIEW_CHANNEL",
      "SEND_MESSAGES",
      "ATTACH_FILES",
      "READ_MESSAGE_HISTORY",
      "CONNECT",
      "SPEAK",
    ]);
    expect(DEFAULT_EVERYONE_PERMISSIONS).toBe(1 + 64 + 1024 + 2048 + 32768 + 65536 + 2 ** 20 + 2 ** 21);
  });
});

describe("Discord permissions docs, Permission Overwrites", () => {
  it("1–2. Base permissions given to @everyone are applied, then permissions allowed to a user by their roles", () => {
    const s = subject({
      everyonePermissions: P.VIEW_CHANNEL,
      roles: [{ id: "mod", permissions: P.KICK_MEMBERS | P.MANAGE_MESSAGES }],
    });
    expect(permissionNamesOf(computeBasePermissions(s))).toEqual([
      "KICK_MEMBERS",
      "VIEW_CHANNEL",
      "MANAGE_MESSAGES",
    ]);
  });

  it("3–4. Overwrites that deny permissions for @everyone are applied, then those that allow them", () => {
    // @everyone denies SEND_MESSAGES and (in the same overwrite) allows MANAGE_MESSAGES.
    const ows = [role(COMMUNITY, P.MANAGE_MESSAGES, P.SEND_MESSAGES)];
    expect(canIn(subject(), ows, "SEND_MESSAGES")).toBe(false);
    expect(canIn(subject(), ows, "MANAGE_MESSAGES")).toBe(true);
    // An overwrite that both denies and allows a permission allows it: allow is applied last.
    expect(canIn(subject(), [role(COMMUNITY, P.SEND_MESSAGES, P.SEND_MESSAGES)], "SEND_MESSAGES")).toBe(true);
  });

  it("5–6. @everyone denies SEND_MESSAGES in a channel, a role overwrite allows it: members with the role can send", () => {
    const ows = [role(COMMUNITY, 0, P.SEND_MESSAGES), role("speaker", P.SEND_MESSAGES)];
    expect(canIn(subject({ roles: [{ id: "speaker", permissions: 0 }] }), ows, "SEND_MESSAGES")).toBe(true);
    expect(canIn(subject(), ows, "SEND_MESSAGES")).toBe(false);
  });

  it("5–6. role overwrites are aggregated: all their denies, then all their allows (one role's allow beats another's deny)", () => {
    const s = subject({
      roles: [
        { id: "muted", permissions: 0 },
        { id: "speaker", permissions: 0 },
      ],
    });
    // Either order in the channel's list: the allow of "speaker" wins over the deny of "muted".
    const ows = [role("muted", 0, P.SEND_MESSAGES), role("speaker", P.SEND_MESSAGES)];
    expect(canIn(s, ows, "SEND_MESSAGES")).toBe(true);
    expect(canIn(s, [...ows].reverse(), "SEND_MESSAGES")).toBe(true);
    // …and a role's deny beats @everyone's allow.
    expect(
      canIn(s, [role(COMMUNITY, P.ADD_REACTIONS), role("muted", 0, P.ADD_REACTIONS)], "ADD_REACTIONS"),
    ).toBe(false);
  });

  it("7–8. a member-specific overwrite's deny beats a role's allow", () => {
    const s = subject({ roles: [{ id: "speaker", permissions: 0 }] });
    const ows: PermissionOverwrite[] = [
      role("speaker", P.SEND_MESSAGES),
      { id: ME, type: "member", allow: 0, deny: P.SEND_MESSAGES },
    ];
    expect(canIn(s, ows, "SEND_MESSAGES")).toBe(false);
  });

  it("7–8. a member-specific overwrite's allow beats a role's deny and @everyone's deny", () => {
    const s = subject({ roles: [{ id: "muted", permissions: 0 }] });
    const ows: PermissionOverwrite[] = [
      role(COMMUNITY, 0, P.SEND_MESSAGES),
      role("muted", 0, P.SEND_MESSAGES),
      { id: ME, type: "member", allow: P.SEND_MESSAGES, deny: 0 },
    ];
    expect(canIn(s, ows, "SEND_MESSAGES")).toBe(true);
  });

  it("overwrites of roles the member does not have, or of other members, are not applied", () => {
    const ows: PermissionOverwrite[] = [
      role("muted", 0, P.SEND_MESSAGES),
      { id: OTHER, type: "member", allow: 0, deny: P.VIEW_CHANNEL },
      // The community's id is @everyone's only as a role; the account id is the member's only as a member.
      { id: COMMUNITY, type: "member", allow: 0, deny: P.SEND_MESSAGES },
      { id: ME, type: "role", allow: 0, deny: P.SEND_MESSAGES },
    ];
    expect(computeChannelPermissions(subject(), ows, NOW)).toBe(DEFAULT_EVERYONE_PERMISSIONS);
  });

  it("ADMINISTRATOR: Allows all permissions and bypasses channel permission overwrites", () => {
    const s = subject({ everyonePermissions: 0, roles: [{ id: "admin", permissions: P.ADMINISTRATOR }] });
    const ows: PermissionOverwrite[] = [
      role(COMMUNITY, 0, ALL_PERMISSIONS),
      role("admin", 0, ALL_PERMISSIONS),
      { id: ME, type: "member", allow: 0, deny: ALL_PERMISSIONS },
    ];
    expect(computeBasePermissions(s)).toBe(ALL_PERMISSIONS);
    expect(computeChannelPermissions(s, ows, NOW)).toBe(ALL_PERMISSIONS);
  });

  it("compute_base_permissions: the guild owner has ALL, whatever the roles and overwrites", () => {
    const s = subject({ ownerAccountId: ME, everyonePermissions: 0 });
    expect(computeBasePermissions(s)).toBe(ALL_PERMISSIONS);
    expect(
      computeChannelPermissions(s, [{ id: ME, type: "member", allow: 0, deny: ALL_PERMISSIONS }], NOW),
    ).toBe(ALL_PERMISSIONS);
  });
});

describe("Discord permissions docs, Implicit Permissions", () => {
  it("Denying a user or a role VIEW_CHANNEL on a channel implicitly denies other permissions on the channel", () => {
    const s = subject({ everyonePermissions: ALL_PERMISSIONS - P.ADMINISTRATOR });
    expect(computeChannelPermissions(s, [role(COMMUNITY, 0, P.VIEW_CHANNEL)], NOW)).toBe(0);
    expect(
      computeChannelPermissions(s, [{ id: ME, type: "member", allow: 0, deny: P.VIEW_CHANNEL }], NOW),
    ).toBe(0);
  });

  it("Denying SEND_MESSAGES implicitly denies MENTION_EVERYONE and ATTACH_FILES", () => {
    const s = subject({ everyonePermissions: DEFAULT_EVERYONE_PERMISSIONS | P.MENTION_EVERYONE });
    const bits = computeChannelPermissions(s, [role(COMMUNITY, 0, P.SEND_MESSAGES)], NOW);
    expect(permissionNamesOf(bits)).toEqual([
      "CREATE_INVITE",
      "ADD_REACTIONS",
      "VIEW_CHANNEL",
      "READ_MESSAGE_HISTORY",
      "CONNECT",
      "SPEAK",
    ]);
  });
});

describe("Discord permissions docs, Permissions For Timed Out Members", () => {
  const until = NOW + 60_000;

  it("Timed out members will temporarily lose all permissions except VIEW_CHANNEL and READ_MESSAGE_HISTORY", () => {
    const s = subject({
      everyonePermissions: ALL_PERMISSIONS - P.ADMINISTRATOR,
      timedOutUntil: until,
    });
    const ows = [role(COMMUNITY, P.MANAGE_ROLES)];
    expect(permissionNamesOf(computeChannelPermissions(s, ows, NOW))).toEqual([
      "VIEW_CHANNEL",
      "READ_MESSAGE_HISTORY",
    ]);
    expect(permissionNamesOf(computeCommunityPermissions(s, NOW))).toEqual([
      "VIEW_CHANNEL",
      "READ_MESSAGE_HISTORY",
    ]);
    // Base permissions do not know about timeouts.
    expect(computeBasePermissions(s)).toBe(ALL_PERMISSIONS - P.ADMINISTRATOR);
  });

  it("a timed-out member without VIEW_CHANNEL in a channel keeps nothing there", () => {
    const s = subject({ timedOutUntil: until });
    expect(computeChannelPermissions(s, [role(COMMUNITY, 0, P.VIEW_CHANNEL)], NOW)).toBe(0);
  });

  it("the timeout ends at timedOutUntil: from then on (<= now) the member is not timed out", () => {
    const s = subject({ timedOutUntil: until });
    expect(computeChannelPermissions(s, [], until - 1)).toBe(P.VIEW_CHANNEL | P.READ_MESSAGE_HISTORY);
    expect(computeChannelPermissions(s, [], until)).toBe(DEFAULT_EVERYONE_PERMISSIONS);
    expect(computeCommunityPermissions(s, until + 1)).toBe(DEFAULT_EVERYONE_PERMISSIONS);
  });

  it("Owners and admin users with ADMINISTRATOR permissions are exempt", () => {
    const owner = subject({ ownerAccountId: ME, timedOutUntil: until });
    const admin = subject({ roles: [{ id: "admin", permissions: P.ADMINISTRATOR }], timedOutUntil: until });
    for (const s of [owner, admin]) {
      expect(computeChannelPermissions(s, [], NOW)).toBe(ALL_PERMISSIONS);
      expect(computeCommunityPermissions(s, NOW)).toBe(ALL_PERMISSIONS);
    }
  });
});

describe("computations against a literal BigInt transcription of Discord's pseudo-code", () => {
  it("computeChannelPermissions equals compute_permissions + timeout + implicit permissions", () => {
    fc.assert(
      fc.property(member, overwrites, (m, ows) => {
        const got = computeChannelPermissions(toSubject(m), ows.map(toOverwrite), NOW);
        expect(BigInt(got)).toBe(refChannelPermissions(m, ows, NOW));
      }),
      { numRuns: 2000 },
    );
  });

  it("computeBasePermissions equals compute_base_permissions (defined bits only)", () => {
    fc.assert(
      fc.property(member, (m) => {
        expect(BigInt(computeBasePermissions(toSubject(m)))).toBe(refBasePermissions(m) & ALL);
      }),
    );
  });

  it("computeCommunityPermissions equals compute_base_permissions + timeout", () => {
    fc.assert(
      fc.property(member, (m) => {
        expect(BigInt(computeCommunityPermissions(toSubject(m), NOW))).toBe(refCommunityPermissions(m, NOW));
      }),
    );
  });

  it("several overwrites for one role or member act as one holding their ORs (order does not matter)", () => {
    fc.assert(
      fc.property(member, overwrites, bits52, (m, ows, split) => {
        // Each overwrite cut in two by `split`; the halves together hold exactly the original bits.
        const halves = ows.flatMap((o) => [
          { ...o, allow: o.allow & split, deny: o.deny & ~split },
          { ...o, allow: o.allow & ~split, deny: o.deny & split },
        ]);
        const got = computeChannelPermissions(toSubject(m), halves.reverse().map(toOverwrite), NOW);
        expect(BigInt(got)).toBe(refChannelPermissions(m, ows, NOW));
      }),
    );
  });

  it("a role entry with the community's id is @everyone: its overwrite is applied once, as @everyone's", () => {
    fc.assert(
      fc.property(member, overwrites, (m, ows) => {
        const withEveryone = toSubject({ ...m, roles: [...m.roles, { id: COMMUNITY, permissions: 0n }] });
        const got = computeChannelPermissions(withEveryone, ows.map(toOverwrite), NOW);
        expect(BigInt(got)).toBe(refChannelPermissions(m, ows, NOW));
      }),
    );
  });
});

describe("bit arithmetic on all 52 bits", () => {
  it("combinePermissions is BigInt OR", () => {
    fc.assert(
      fc.property(fc.array(bits52, { maxLength: 5 }), (sets) => {
        const expected = sets.reduce((a, b) => a | b, 0n);
        expect(BigInt(combinePermissions(...sets.map(Number)))).toBe(expected);
      }),
    );
  });

  it("removePermissions is BigInt AND NOT", () => {
    fc.assert(
      fc.property(bits52, bits52, (a, b) => {
        expect(BigInt(removePermissions(Number(a), Number(b)))).toBe(a & ~b);
      }),
    );
  });

  it("hasPermission and permissionNamesOf read the defined bits like BigInt AND", () => {
    fc.assert(
      fc.property(bits52, (bits) => {
        const expected = NAMES.filter((n) => (bits & flag(n)) !== 0n);
        for (const name of NAMES) expect(hasPermission(Number(bits), name)).toBe(expected.includes(name));
        expect(new Set(permissionNamesOf(Number(bits)))).toEqual(new Set(expected));
        expect(BigInt(permissionsOf(permissionNamesOf(Number(bits))))).toBe(bits & ALL);
      }),
    );
  });

  it("refuses values that are no permission set with a RangeError (a caller's bug)", () => {
    for (const bad of [-1, 1.5, 2 ** 52, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => combinePermissions(1, bad), String(bad)).toThrow(RangeError);
      expect(() => removePermissions(bad, 0), String(bad)).toThrow(RangeError);
      expect(() => hasPermission(bad, "VIEW_CHANNEL"), String(bad)).toThrow(RangeError);
      expect(() => permissionNamesOf(bad), String(bad)).toThrow(RangeError);
      expect(() => serializePermissions(bad), String(bad)).toThrow(RangeError);
      expect(() => computeBasePermissions(subject({ everyonePermissions: bad })), String(bad)).toThrow(
        RangeError,
      );
      expect(() => computeChannelPermissions(subject(), [role("x", bad)], NOW), String(bad)).toThrow(
        RangeError,
      );
    }
    expect(() => permissionsOf(["VIEW_CHANNELS" as PermissionName])).toThrow(RangeError);
    expect(() => hasPermission(1, "toString" as PermissionName)).toThrow(RangeError);
  });
});

describe("wire form (decimal strings)", () => {
  it("serialize and parse round-trip every set of defined permissions", () => {
    fc.assert(
      fc.property(bits52, (raw) => {
        const bits = Number(raw & ALL);
        const text = serializePermissions(bits);
        expect(text).toBe((raw & ALL).toString());
        expect(matches(PermissionBits, text)).toBe(true);
        expect(parsePermissions(text)).toBe(bits);
      }),
    );
  });

  it.each([
    "01",
    "-1",
    "1.5",
    "",
    "4503599627370496", // 2^52
    "9999999999999999",
    "+1",
    " 1",
    "1 ",
    "1e3",
    "0x10",
    "256", // bit 8: no permission
    "4503599627370495", // 2^52 - 1: undefined bits
  ])("parsePermissions refuses %j with VOLLY_E_BAD_REQUEST { field, value }", (text) => {
    const error = caught(() => parsePermissions(text, "allow"));
    expect(error.code).toBe("VOLLY_E_BAD_REQUEST");
    expect(error.details).toEqual({ field: "allow", value: text });
    expect(error.message).toMatch(/^Invalid allow: /);
  });

  it("parsePermissions refuses every value with a bit that names no permission", () => {
    fc.assert(
      fc.property(bits52, (raw) => {
        fc.pre((raw & ~ALL) !== 0n);
        expect(caught(() => parsePermissions(raw.toString())).details).toEqual({
          field: "permissions",
          value: raw.toString(),
        });
      }),
    );
  });

  it("parsePermissions refuses a value that is not a string, and cuts a long value in the details", () => {
    expect(caught(() => parsePermissions(1024 as unknown as string)).details).toEqual({
      field: "permissions",
      value: "1024",
    });
    expect(caught(() => parsePermissions("x".repeat(1000))).details?.value).toBe("x".repeat(64));
  });

  it("serializePermissions refuses bits that name no permission (the receiver would refuse them)", () => {
    expect(() => serializePermissions(256)).toThrow(RangeError);
  });

  it("PermissionOverwriteWire accepts an overwrite and refuses extra fields, other types and bad bits", () => {
    const ok = { id: "A".repeat(22), type: "role", allow: "2048", deny: "0" };
    expect(matches(PermissionOverwriteWire, ok)).toBe(true);
    expect(matches(PermissionOverwriteWire, { ...ok, type: "member" })).toBe(true);
    expect(matches(PermissionOverwriteWire, { ...ok, extra: 1 })).toBe(false);
    expect(matches(PermissionOverwriteWire, { ...ok, type: "user" })).toBe(false);
    expect(matches(PermissionOverwriteWire, { ...ok, allow: "01" })).toBe(false);
    expect(matches(PermissionOverwriteWire, { ...ok, deny: 0 })).toBe(false);
    expect(matches(PermissionOverwriteWire, { ...ok, id: "short" })).toBe(false);
    expect(matches(PermissionBits, "12345678901234567")).toBe(false);
  });
});

describe("parsePermissionList (the command line's form)", () => {
  it("reads comma-separated names, whitespace around them allowed", () => {
    expect(parsePermissionList("VIEW_CHANNEL,SEND_MESSAGES")).toBe(P.VIEW_CHANNEL + P.SEND_MESSAGES);
    expect(parsePermissionList("  MODERATE_MEMBERS ,\tVIEW_CHANNEL  ")).toBe(
      P.MODERATE_MEMBERS + P.VIEW_CHANNEL,
    );
    expect(parsePermissionList("KICK_MEMBERS,KICK_MEMBERS")).toBe(P.KICK_MEMBERS);
  });

  it("reads an empty or blank list as no permissions", () => {
    expect(parsePermissionList("")).toBe(0);
    expect(parsePermissionList("  ")).toBe(0);
  });

  it("refuses unknown names (case-sensitive) and empty items, listing them in details.unknown", () => {
    const error = caught(() => parsePermissionList("VIEW_CHANNEL, view_channel,BOGUS,,SEND_MESSAGES"));
    expect(error.code).toBe("VOLLY_E_BAD_REQUEST");
    expect(error.details).toEqual({ unknown: ["view_channel", "BOGUS", ""] });
    expect(caught(() => parsePermissionList("constructor")).details).toEqual({ unknown: ["constructor"] });
  });

  it("round-trips permissionNamesOf", () => {
    fc.assert(
      fc.property(bits52, (raw) => {
        const bits = Number(raw & ALL);
        expect(parsePermissionList(permissionNamesOf(bits).join(", "))).toBe(bits);
      }),
    );
  });
});
