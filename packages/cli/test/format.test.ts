import type { CallBody, MembershipBody, MessageRecord } from "@volly/client";
import { describe, expect, it } from "vitest";
import {
  byTimeWritten,
  callSentence,
  conversationLabel,
  inboxLine,
  messageJson,
  messageLine,
  printable,
} from "../src/format.js";

const message = (over: Partial<MessageRecord> & { text?: string }): MessageRecord => {
  const { text = "hi", ...rest } = over;
  return {
    id: "m",
    conversationId: "c",
    from: "bob",
    fromDeviceId: "d",
    direction: "in",
    body: { type: "text", text },
    sentAt: new Date(2025, 0, 2, 9, 5).getTime(),
    receivedAt: 0,
    status: "received",
    ...rest,
  };
};

const alice = { accountId: "acct-alice", handle: "alice" };
const carol = { accountId: "acct-carol", handle: "carol" };
const dave = { accountId: "acct-dave", handle: "dave" };
const event = (body: Omit<MembershipBody, "type">): MessageRecord =>
  message({ from: body.actor.handle, body: { type: "membership", ...body } });

describe("CLI message formatting", () => {
  it("names the conversation: a group by its name, a direct conversation by @handle", () => {
    expect(conversationLabel({ kind: "group", title: "Weekend trip" })).toBe("Weekend trip");
    expect(conversationLabel({ kind: "direct", title: "bob", peerHandle: "bob" })).toBe("@bob");
    expect(inboxLine(message({ body: { type: "text", text: "count me in" } }), "Weekend trip")).toBe(
      "[09:05] [Weekend trip] bob: count me in",
    );
    expect(messageLine(message({}))).toBe("[09:05] bob: hi");
  });

  it("defuses control and bidi characters others chose; continuation lines are indented", () => {
    expect(printable("a\x1b[2Jb\u202ec\r")).toBe("a\uFFFD[2Jb\uFFFDc\uFFFD");
    expect(conversationLabel({ kind: "group", title: "Trip\x07" })).toBe("Trip\uFFFD");
    expect(messageLine(message({ body: { type: "text", text: "one\r\ntwo\n[09:06] alice: fake" } }))).toBe(
      "[09:05] bob: one\n    two\n    [09:06] alice: fake",
    );
  });

  it("orders by the sender's clock, then by the group log's seq", () => {
    const list = [
      message({ id: "c", sentAt: 3, seq: 1 }),
      message({ id: "b", sentAt: 2, seq: 9 }),
      message({ id: "a", sentAt: 2, seq: 4 }),
    ];
    expect(list.sort(byTimeWritten).map((m) => m.id)).toEqual(["a", "b", "c"]);
  });

  it("membership events: one sentence of handles, 'you' for this account; their own JSON line", () => {
    const added = event({ change: "added", actor: alice, subjects: [carol, dave] });
    expect(inboxLine(added, "Weekend trip")).toBe("[09:05] [Weekend trip] alice added carol and dave");
    expect(messageLine(event({ change: "removed", actor: alice, subjects: [carol] }))).toBe(
      "[09:05] alice removed carol",
    );
    expect(messageLine(event({ change: "left", actor: carol, subjects: [carol] }))).toBe(
      "[09:05] carol left",
    );
    expect(messageLine(event({ change: "added", actor: carol, subjects: [carol] }))).toBe(
      "[09:05] carol joined",
    );
    expect(messageLine(event({ change: "joined", actor: alice, subjects: [carol] }), carol.accountId)).toBe(
      "[09:05] alice added you",
    );
    expect(messageLine(event({ change: "removed", actor: alice, subjects: [carol] }), alice.accountId)).toBe(
      "[09:05] you removed carol",
    );
    const renamed = event({ change: "renamed", actor: alice, subjects: [], name: "Trip\x1b[2J" });
    expect(messageLine(renamed)).toBe("[09:05] alice renamed the group to 'Trip\uFFFD[2J'");

    expect(messageJson(added, "Weekend trip")).toEqual({
      event: "membership",
      id: "m",
      conversationId: "c",
      conversation: "Weekend trip",
      change: "added",
      by: "alice",
      members: ["carol", "dave"],
      at: added.sentAt,
    });
    expect(messageJson(renamed)).toMatchObject({
      change: "renamed",
      by: "alice",
      members: [],
      name: "Trip\x1b[2J",
    });
    // a message's JSON keeps its fields, and says it is a message (actions print their own types)
    expect(messageJson(message({ text: "hi" }), "Weekend trip")).toEqual({
      type: "message",
      id: "m",
      conversationId: "c",
      from: "bob",
      text: "hi",
      sentAt: message({}).sentAt,
      conversation: "Weekend trip",
      mentions: [],
    });
    // mentions come from the content when it carries them (roles and @everyone are not handles),
    // else from the text's @handle tokens; `mentionsMe` only when true
    expect(
      messageJson(
        message({
          text: "@team @alice and @everyone",
          mentions: { handles: ["alice"], everyone: true },
          mentionsMe: true,
        }),
      ),
    ).toMatchObject({ mentions: ["alice"], mentionsMe: true });
    expect(messageJson(message({ text: "hi @carol.smith." }))).toMatchObject({ mentions: ["carol.smith"] });
    expect(messageJson(message({ text: "hi" }))).not.toHaveProperty("mentionsMe");
  });
});

describe("call records", () => {
  const call = (body: Omit<CallBody, "type">): MessageRecord => message({ body: { type: "call", ...body } });

  it("says how the call ended, with its duration when it was answered", () => {
    expect(callSentence({ type: "call", callId: "x", media: "audio", outcome: "missed" })).toBe(
      "Missed call",
    );
    expect(callSentence({ type: "call", callId: "x", media: "video", outcome: "declined" })).toBe(
      "Declined video call",
    );
    expect(
      callSentence({ type: "call", callId: "x", media: "audio", outcome: "ended", durationMs: 192_400 }),
    ).toBe("Call, 3:12");
    expect(
      callSentence({ type: "call", callId: "x", media: "video", outcome: "ended", durationMs: 3_723_000 }),
    ).toBe("Video call, 1:02:03");
  });

  it("prints one line for receive, and a JSON event", () => {
    const missed = call({ callId: "call1", media: "audio", outcome: "missed" });
    expect(messageLine(missed)).toBe("[09:05] bob: Missed call");
    expect(messageJson(missed)).toMatchObject({
      event: "call",
      callId: "call1",
      outcome: "missed",
      from: "bob",
    });
  });
});
