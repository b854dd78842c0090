import { describe, expect, it } from "vitest";
import {
  type ActionContext,
  availableActions,
  canDeleteForEveryone,
  quotedOriginal,
  reactionLabel,
  snippet,
} from "../src/lib/message-actions.js";
import type { MessageRecord } from "../src/worker/rpc-types.js";

const ME = "A".repeat(22);
const ADA = "B".repeat(22);
const BOB = "C".repeat(22);

function message(over: Partial<MessageRecord> = {}): MessageRecord {
  return {
    id: "m1",
    conversationId: "c1",
    from: "ada",
    fromAccountId: ADA,
    fromDeviceId: "d1",
    direction: "in",
    body: { type: "text", text: "hello" },
    text: "hello",
    sentAt: 1,
    receivedAt: 1,
    status: "received",
    ...over,
  };
}

const DM: ActionContext = { canManage: false, inChannel: false, readOnly: false };
const CHANNEL: ActionContext = { canManage: false, inChannel: true, readOnly: false };
const MODERATOR: ActionContext = { canManage: true, inChannel: true, readOnly: false };
const names: Record<string, string> = { ada: "Ada Lovelace", bob: "Bob Node" };
const nameOf = (handle: string) => names[handle] ?? handle;

describe("availableActions: what a message offers", () => {
  it("someone else's message in a DM: react, reply, pin, delete (for me) — no edit", () => {
    expect(availableActions(message(), DM)).toEqual(["react", "reply", "pin", "delete"]);
  });

  it("one's own message: edit too; a pinned one offers unpin", () => {
    expect(availableActions(message({ direction: "out", pinnedAt: 5 }), DM)).toEqual([
      "react",
      "reply",
      "edit",
      "unpin",
      "delete",
    ]);
  });

  it("in a community channel pins need MANAGE_MESSAGES", () => {
    expect(availableActions(message(), CHANNEL)).not.toContain("pin");
    expect(availableActions(message(), MODERATOR)).toContain("pin");
  });

  it("Reply in thread: on a channel's main-timeline messages only (threads do not nest)", () => {
    expect(availableActions(message(), CHANNEL)).toEqual(["react", "reply", "thread", "delete"]);
    expect(availableActions(message({ threadId: "root" }), CHANNEL)).not.toContain("thread");
    expect(availableActions(message(), DM)).not.toContain("thread");
  });

  it("a tombstone and a membership line offer nothing; a group this device left only delete", () => {
    const tomb = message({ body: { type: "deleted", deletedAt: 2, by: { accountId: ADA, handle: "ada" } } });
    expect(availableActions(tomb, DM)).toEqual([]);
    expect(availableActions(message(), { ...DM, readOnly: true })).toEqual(["delete"]);
  });
});

describe("canDeleteForEveryone", () => {
  it("own messages anywhere; others' only for a channel moderator", () => {
    expect(canDeleteForEveryone(message({ direction: "out" }), DM)).toBe(true);
    expect(canDeleteForEveryone(message(), DM)).toBe(false);
    expect(canDeleteForEveryone(message(), CHANNEL)).toBe(false);
    expect(canDeleteForEveryone(message(), MODERATOR)).toBe(true);
  });
});

describe("reactionLabel: a chip's accessible name", () => {
  const by = (accountId: string, handle: string) => ({ accountId, handle, at: 1 });

  it("names the others and says when I reacted", () => {
    const reaction = { emoji: "👍", by: [by(ADA, "ada"), by(BOB, "bob"), by(ME, "me")] };
    expect(reactionLabel(reaction, ME, nameOf)).toBe("👍 3 reactions: Ada Lovelace, Bob Node; you reacted");
  });

  it("singular, only me, only others", () => {
    expect(reactionLabel({ emoji: "🎉", by: [by(ME, "me")] }, ME, nameOf)).toBe("🎉 1 reaction: you reacted");
    expect(reactionLabel({ emoji: "🎉", by: [by(ADA, "ada")] }, ME, nameOf)).toBe(
      "🎉 1 reaction: Ada Lovelace",
    );
  });
});

describe("replies", () => {
  it("a snippet is one line, cut with an ellipsis", () => {
    expect(snippet("a\n\n b  c")).toBe("a b c");
    expect(snippet("x".repeat(200), 10)).toBe(`${"x".repeat(9)}…`);
  });

  it("quotes the original text; a tombstone or a missing original reads as deleted", () => {
    const original = message({ id: "o" });
    expect(quotedOriginal([original], "o")).toEqual({ kind: "text", message: original });
    expect(quotedOriginal([], "o")).toEqual({ kind: "deleted" });
    const tomb = message({
      id: "o",
      body: { type: "deleted", deletedAt: 2, by: { accountId: ADA, handle: "ada" } },
    });
    expect(quotedOriginal([tomb], "o")).toEqual({ kind: "deleted" });
  });
});
