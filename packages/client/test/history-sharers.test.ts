import type { GroupMember } from "@volly/crypto";
import {
  type CommunityChannel,
  type CommunityResponse,
  type HistoryPolicy,
  permissionsOf,
  serializePermissions,
} from "@volly/protocol";
import { describe, expect, it } from "vitest";
import { HISTORY_SHARERS, sharingTurn } from "../src/communities/history-sharers.js";

const community = "c".repeat(22);
const account = (n: number) => `a${String(n).padStart(21, "0")}`;
const device = (n: number) => `d${String(n).padStart(21, "0")}`;
const leaf = (n: number, accountNumber = n): GroupMember => ({
  leafIndex: n,
  credential: { accountId: account(accountNumber), deviceId: device(n) },
  signaturePublicKey: "",
});
const bits = (...names: Parameters<typeof permissionsOf>[0]) => serializePermissions(permissionsOf(names));

function communityOf(members: number[]): CommunityResponse {
  return {
    communityId: community,
    name: "Guild",
    description: "",
    ownerAccountId: account(0),
    createdAt: 0,
    roles: [
      {
        roleId: community,
        name: "@everyone",
        color: 0,
        position: 0,
        permissions: bits("VIEW_CHANNEL", "SEND_MESSAGES", "READ_MESSAGE_HISTORY"),
      },
    ],
    channels: [],
    members: members.map((n) => ({ accountId: account(n), handle: `u${n}`, roleIds: [], joinedAt: 0 })),
    myPermissions: "0",
  };
}

function channelOf(
  historyPolicy: HistoryPolicy,
  overwrites: CommunityChannel["overwrites"] = [],
): CommunityChannel {
  return {
    channelId: "h".repeat(22),
    type: "text",
    name: "general",
    topic: "",
    position: 0,
    historyPolicy,
    overwrites,
    myPermissions: "0",
  };
}

describe("sharingTurn: which member devices share a channel's history with newcomers", () => {
  const members = [leaf(0), leaf(1), leaf(2), leaf(3), leaf(4), leaf(5)];
  const joined = { added: [leaf(5)], members };
  const days = channelOf({ kind: "days", days: 7 });

  it("the devices that were in the group take turns in leaf order, the first HISTORY_SHARERS of them", () => {
    const view = communityOf([0, 1, 2, 3, 4, 5]);
    const turns = members.map((m) =>
      sharingTurn(view, days, joined, m.credential.deviceId, 1_000_000_000_000),
    );
    expect(turns.map((t) => t?.rank)).toEqual([0, 1, 2, undefined, undefined, undefined]);
    expect(HISTORY_SHARERS).toBe(3);
    expect(turns[0]).toEqual({ rank: 0, recipients: [device(5)], since: 1_000_000_000_000 - 7 * 86_400_000 });
  });

  it("nothing is shared for the policies none and from-join", () => {
    const view = communityOf([0, 1, 2, 3, 4, 5]);
    for (const policy of [{ kind: "none" }, { kind: "from-join" }] as const) {
      expect(sharingTurn(view, channelOf(policy), joined, device(0), 0)).toBeUndefined();
    }
  });

  it("members who may not send are skipped as sharers; newcomers without READ_MESSAGE_HISTORY get nothing", () => {
    const view = communityOf([0, 1, 2, 3, 4, 5]);
    const muted = channelOf({ kind: "days", days: 7 }, [
      { id: account(0), type: "member", allow: "0", deny: bits("SEND_MESSAGES") },
    ]);
    // account 0 is the owner: every permission whatever the overwrites, so it stays the first
    expect(sharingTurn(view, muted, joined, device(0), 0)?.rank).toBe(0);
    const mutedOne = channelOf({ kind: "days", days: 7 }, [
      { id: account(1), type: "member", allow: "0", deny: bits("SEND_MESSAGES") },
    ]);
    expect(sharingTurn(view, mutedOne, joined, device(1), 0)).toBeUndefined();
    expect(sharingTurn(view, mutedOne, joined, device(2), 0)?.rank).toBe(1);
    const noHistory = channelOf({ kind: "days", days: 7 }, [
      { id: account(5), type: "member", allow: "0", deny: bits("READ_MESSAGE_HISTORY") },
    ]);
    expect(sharingTurn(view, noHistory, joined, device(0), 0)).toBeUndefined();
  });
});
