import type { GroupMember } from "@volly/crypto";
import { describe, expect, it } from "vitest";
import { commitMembershipChanges } from "../src/conversations/membership-events.js";
import { MESSAGE_KINDS } from "../src/messaging/message-kinds.js";

/** Leaves of `accountId:deviceId` pairs, in leaf order. */
function leaves(...ids: string[]): GroupMember[] {
  return ids.map((id, leafIndex) => {
    const [accountId = "", deviceId = ""] = id.split(":");
    return { leafIndex, credential: { accountId, deviceId }, signaturePublicKey: "" };
  });
}

const party = (accountId: string) => ({ accountId, handle: `@${accountId}` });
const base = { ownAccountId: "me", party, departed: new Set<string>() };

describe("commitMembershipChanges: a commit's membership events, account by account", () => {
  it("accounts gained are added by the committer, accounts lost removed by it", () => {
    const bodies = commitMembershipChanges({
      ...base,
      before: leaves("me:m1", "alice:a1", "carol:c1", "carol:c2"),
      after: leaves("me:m1", "alice:a1", "dave:d1", "bob:b1"),
      committer: { accountId: "alice", deviceId: "a1" },
    });
    expect(bodies).toEqual([
      { type: "membership", change: "added", actor: party("alice"), subjects: [party("bob"), party("dave")] },
      { type: "membership", change: "removed", actor: party("alice"), subjects: [party("carol")] },
    ]);
  });

  it("an account whose every device departed left (whoever committed the Remove)", () => {
    const bodies = commitMembershipChanges({
      ...base,
      before: leaves("me:m1", "alice:a1", "carol:c1", "carol:c2"),
      after: leaves("me:m1", "alice:a1"),
      committer: { accountId: "me", deviceId: "m1" },
      departed: new Set(["c1", "c2"]),
    });
    expect(bodies).toEqual([
      { type: "membership", change: "left", actor: party("carol"), subjects: [party("carol")] },
    ]);
    // one of carol's devices had not departed: she was removed
    const removed = commitMembershipChanges({
      ...base,
      before: leaves("me:m1", "carol:c1", "carol:c2"),
      after: leaves("me:m1"),
      committer: { accountId: "me", deviceId: "m1" },
      departed: new Set(["c1"]),
    });
    expect(removed.map((b) => b.change)).toEqual(["removed"]);
  });

  it("device-only changes (linking, revoking one device) and this account's own leaves are no event", () => {
    expect(
      commitMembershipChanges({
        ...base,
        before: leaves("me:m1", "bob:b1"),
        after: leaves("me:m1", "me:m2", "bob:b1", "bob:b2"),
        committer: { accountId: "bob", deviceId: "b1" },
      }),
    ).toEqual([]);
    expect(
      commitMembershipChanges({
        ...base,
        before: leaves("me:m1", "bob:b1", "bob:b2"),
        after: leaves("me:m1", "bob:b2"),
        committer: { accountId: "me", deviceId: "m1" },
        departed: new Set(["b1"]),
      }),
    ).toEqual([]);
  });

  it("without a known committer only departures are told", () => {
    const bodies = commitMembershipChanges({
      ...base,
      before: leaves("me:m1", "carol:c1", "erin:e1"),
      after: leaves("me:m1", "bob:b1"),
      committer: undefined,
      departed: new Set(["e1"]),
    });
    expect(bodies).toEqual([
      { type: "membership", change: "left", actor: party("erin"), subjects: [party("erin")] },
    ]);
  });

  it("membership events are local timeline events: never unread, never handed over", () => {
    expect(MESSAGE_KINDS.membership).toEqual({
      origin: "local",
      conversational: false,
      historyHandOver: false,
    });
    expect(MESSAGE_KINDS.text).toMatchObject({
      origin: "content",
      conversational: true,
      historyHandOver: true,
    });
  });
});
