import { describe, expect, it } from "vitest";
import {
  type CommunityChannel,
  type CommunityResponse,
  hasPermission,
  memberChannelPermissions,
  permissionsOf,
  serializePermissions,
} from "../src/index.js";

const community = "c".repeat(22);
const owner = "o".repeat(22);
const member = "m".repeat(22);
const moderator = "r".repeat(22);
const bits = (...names: Parameters<typeof permissionsOf>[0]) => serializePermissions(permissionsOf(names));

function view(timedOutUntil?: number): CommunityResponse {
  return {
    communityId: community,
    name: "Guild",
    description: "",
    ownerAccountId: owner,
    createdAt: 0,
    roles: [
      {
        roleId: community,
        name: "@everyone",
        color: 0,
        position: 0,
        permissions: bits("VIEW_CHANNEL", "SEND_MESSAGES"),
      },
      { roleId: moderator, name: "moderator", color: 0, position: 1, permissions: bits("MANAGE_MESSAGES") },
    ],
    channels: [],
    members: [
      { accountId: owner, handle: "owner", roleIds: [], joinedAt: 0 },
      {
        accountId: member,
        handle: "member",
        roleIds: [moderator],
        joinedAt: 0,
        ...(timedOutUntil !== undefined ? { timedOutUntil } : {}),
      },
    ],
    myPermissions: "0",
  };
}

const channel = (overwrites: CommunityChannel["overwrites"]): CommunityChannel => ({
  channelId: "h".repeat(22),
  type: "text",
  name: "general",
  topic: "",
  position: 0,
  historyPolicy: { kind: "days", days: 30 },
  overwrites,
  myPermissions: "0",
});

describe("memberChannelPermissions: another member's permissions from the community as a member sees it", () => {
  it("ORs @everyone and the member's roles, then applies the channel's overwrites", () => {
    const open = memberChannelPermissions(view(), channel([]), member, 0);
    expect(hasPermission(open, "MANAGE_MESSAGES")).toBe(true);
    expect(hasPermission(open, "SEND_MESSAGES")).toBe(true);
    const readOnly = channel([{ id: community, type: "role", allow: "0", deny: bits("SEND_MESSAGES") }]);
    expect(hasPermission(memberChannelPermissions(view(), readOnly, member, 0), "SEND_MESSAGES")).toBe(false);
    const allowed = channel([
      { id: community, type: "role", allow: "0", deny: bits("SEND_MESSAGES") },
      { id: member, type: "member", allow: bits("SEND_MESSAGES"), deny: "0" },
    ]);
    expect(hasPermission(memberChannelPermissions(view(), allowed, member, 0), "SEND_MESSAGES")).toBe(true);
  });

  it("the owner holds everything; a timed-out member keeps only viewing; a non-member holds nothing", () => {
    const hidden = channel([{ id: community, type: "role", allow: "0", deny: bits("VIEW_CHANNEL") }]);
    expect(hasPermission(memberChannelPermissions(view(), hidden, owner, 0), "VIEW_CHANNEL")).toBe(true);
    expect(memberChannelPermissions(view(), hidden, member, 0)).toBe(0);
    const timedOut = memberChannelPermissions(view(10_000), channel([]), member, 5_000);
    expect(hasPermission(timedOut, "VIEW_CHANNEL")).toBe(true);
    expect(hasPermission(timedOut, "SEND_MESSAGES")).toBe(false);
    expect(
      hasPermission(memberChannelPermissions(view(10_000), channel([]), member, 20_000), "SEND_MESSAGES"),
    ).toBe(true);
    expect(memberChannelPermissions(view(), channel([]), "x".repeat(22), 0)).toBe(0);
  });
});
