import type { MessageRecord } from "@volly/client";
import { describe, expect, it } from "vitest";
import { byTimeWritten, conversationLabel, inboxLine, messageLine, printable } from "../src/format.js";

const message = (over: Partial<MessageRecord>): MessageRecord => ({
  id: "m",
  conversationId: "c",
  from: "bob",
  fromDeviceId: "d",
  direction: "in",
  body: { type: "text", text: "hi" },
  sentAt: new Date(2025, 0, 2, 9, 5).getTime(),
  receivedAt: 0,
  status: "received",
  ...over,
});

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
});
