import { type CommunityResponse, PERMISSION_NAMES as PROTOCOL_NAMES, permissionsOf } from "@volly/protocol";
import { describe, expect, it } from "vitest";
import { auditText } from "../src/lib/audit-log.js";
import { can, channelGroups, memberSections, movedPosition, PERMISSION_NAMES } from "../src/lib/community.js";
import { communityView } from "../src/worker/community-view.js";

const ID = (n: number) => `${"A".repeat(21)}${n}`;
const COMMUNITY = ID(0);

/** A community with a category, channels out of order, a private channel, two roles and three members. */
function community(): CommunityResponse {
  const channel = (n: number, name: string, position: number, extra = {}) => ({
    channelId: ID(n),
    type: "text" as const,
    name,
    topic: "",
    position,
    historyPolicy: { kind: "none" as const },
    overwrites: [],
    myPermissions: String(permissionsOf(["VIEW_CHANNEL", "SEND_MESSAGES"])),
    ...extra,
  });
  return {
    communityId: COMMUNITY,
    name: "Guild",
    description: "",
    ownerAccountId: ID(7),
    createdAt: 0,
    roles: [
      { roleId: COMMUNITY, name: "@everyone", color: 0, position: 0, permissions: "3072" },
      { roleId: ID(5), name: "Crew", color: 0x3366ff, position: 1, permissions: "0" },
      {
        roleId: ID(6),
        name: "Mods",
        color: 0,
        position: 2,
        permissions: String(permissionsOf(["KICK_MEMBERS"])),
      },
    ],
    channels: [
      channel(2, "zeta", 1),
      channel(1, "general", 0),
      { ...channel(3, "Text", 0), type: "category" },
      channel(4, "secret", 0, {
        parentId: ID(3),
        overwrites: [{ id: COMMUNITY, type: "role", allow: "0", deny: "1024" }],
      }),
    ],
    members: [
      { accountId: ID(7), handle: "ada", roleIds: [ID(5), ID(6)], joinedAt: 0 },
      { accountId: ID(8), handle: "bob", displayName: "Bob", roleIds: [ID(5)], joinedAt: 0 },
      { accountId: ID(9), handle: "carol", roleIds: [], joinedAt: 0 },
    ],
    myPermissions: String(permissionsOf(["MANAGE_ROLES", "MODERATE_MEMBERS"])),
  };
}

describe("web communities: the worker's view and the UI's reading of it", () => {
  it("names every permission set, resolves private channels, and keeps the rest as the SDK returned it", () => {
    const view = communityView(community());
    expect(view.myPermissionNames).toEqual(["MANAGE_ROLES", "MODERATE_MEMBERS"]);
    expect(view.roles.find((r) => r.name === "Mods")?.permissionNames).toEqual(["KICK_MEMBERS"]);
    expect(view.channels.filter((c) => c.private).map((c) => c.name)).toEqual(["secret"]);
    expect(view.channels[3]?.overwrites[0]?.denyNames).toEqual(["VIEW_CHANNEL"]);
    expect(view.members).toEqual(community().members);
    expect(can(view.myPermissionNames, "MODERATE_MEMBERS")).toBe(true);
    expect(can(view.myPermissionNames, "BAN_MEMBERS")).toBe(false);
    expect(can(["ADMINISTRATOR"], "BAN_MEMBERS")).toBe(true);
  });

  it("lists permissions in the protocol's order (the UI keeps its own copy of the names)", () => {
    expect(PERMISSION_NAMES).toEqual(PROTOCOL_NAMES);
  });

  it("groups channels: top level first, then each category, by position", () => {
    const groups = channelGroups(communityView(community()));
    expect(groups.map((g) => [g.category?.name, g.channels.map((c) => c.name)])).toEqual([
      [undefined, ["general", "zeta"]],
      ["Text", ["secret"]],
    ]);
  });

  it("sorts members under their highest role, then the rest under Members", () => {
    const sections = memberSections(communityView(community()));
    expect(sections.map((s) => [s.title, s.members.map((m) => m.handle)])).toEqual([
      ["Mods", ["ada"]],
      ["Crew", ["bob"]],
      ["Members", ["carol"]],
    ]);
  });

  it("writes audit log entries as sentences with names", () => {
    const view = communityView(community());
    const entry = { entryId: ID(10), actorAccountId: ID(7), createdAt: 0 };
    expect(auditText(view, { ...entry, action: "member.kick", targetId: ID(8) })).toBe("@ada kicked Bob");
    expect(auditText(view, { ...entry, action: "role.create", targetId: ID(5) })).toBe(
      "@ada created the role Crew",
    );
    expect(auditText(view, { ...entry, action: "invite.create", targetId: "abcdefghijklmnop" })).toBe(
      "@ada created an invite",
    );
  });

  it("moves a channel by the index the server renumbers its siblings with (categories count at the top level)", () => {
    const view = communityView(community());
    const byName = (name: string) => view.channels.find((c) => c.name === name);
    const [general, zeta, secret] = ["general", "zeta", "secret"].map(byName);
    if (!general || !zeta || !secret) throw new Error("fixture");
    // top level in the server's order: general, the category Text, zeta
    expect(movedPosition(view, zeta, -1)).toBe(0);
    expect(movedPosition(view, general, 1)).toBe(2);
    expect(movedPosition(view, general, -1)).toBeUndefined();
    expect(movedPosition(view, zeta, 1)).toBeUndefined();
    // alone in its category
    expect(movedPosition(view, secret, -1)).toBeUndefined();
    expect(movedPosition(view, secret, 1)).toBeUndefined();
  });
});
