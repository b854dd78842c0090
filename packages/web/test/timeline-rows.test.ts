import { describe, expect, it } from "vitest";
import { noticeIndexOf, prepended, stickyDay, timelineRows } from "../src/lib/timeline-rows.js";
import type { MessageRecord } from "../src/worker/rpc-types.js";

const HOUR = 3_600_000;
/** Noon, local time, on some day: hours added stay on that day until midnight. */
const NOON = new Date(2025, 4, 14, 12).getTime();

function message(
  id: string,
  sentAt: number,
  body: MessageRecord["body"] = { type: "text", text: id },
): MessageRecord {
  return {
    id,
    conversationId: "c1",
    from: "bob",
    direction: "in",
    status: "received",
    sentAt,
    text: id,
    body,
  } as MessageRecord;
}

describe("timeline rows", () => {
  it("puts a day separator before the first message of each day, keyed by stable ids", () => {
    const list = [message("a", NOON), message("b", NOON + HOUR), message("c", NOON + 24 * HOUR)];
    const { rows, dayRows } = timelineRows({ list, historyStart: false, notice: false });
    expect(rows.map((r) => r.kind)).toEqual(["day", "message", "message", "day", "message"]);
    expect(dayRows).toEqual([0, 3]);
    expect(rows.flatMap((r) => (r.kind === "message" ? [r.key] : []))).toEqual(["a", "b", "c"]);
    expect(new Set(rows.map((r) => r.key)).size).toBe(rows.length);
    // a message's row belongs to its day's separator
    expect(rows[2]?.day).toBe(rows[0]?.day);
    expect(rows[4]?.day).toBe(rows[3]?.day);
  });

  it("knows the bubble before each message, not across a system line", () => {
    const list = [
      message("a", NOON),
      message("join", NOON + 1, { type: "membership", change: "joined" } as unknown as MessageRecord["body"]),
      message("b", NOON + 2),
      message("c", NOON + 3),
    ];
    const rows = timelineRows({ list, historyStart: false, notice: false }).rows;
    const prev = rows.flatMap((r) => (r.kind === "message" ? [r.prev?.id] : []));
    expect(prev).toEqual([undefined, "a", undefined, "b"]);
  });

  it("places the history-start line first and the recovery notice before the first later message", () => {
    const list = [message("a", NOON), message("b", NOON + 2 * HOUR)];
    const rows = timelineRows({ list, historyStart: true, notice: true, noticeAt: NOON + HOUR }).rows;
    expect(rows.map((r) => r.kind)).toEqual(["history-start", "day", "message", "notice", "message"]);
    // no time: at the end
    expect(noticeIndexOf(list, true, undefined)).toBe(2);
    expect(noticeIndexOf(list, false, NOON)).toBe(-1);
    expect(timelineRows({ list: [], historyStart: false, notice: true }).rows.map((r) => r.kind)).toEqual([
      "notice",
    ]);
  });

  it("tells older messages added at the start from new ones at the end", () => {
    const first = timelineRows({
      list: [message("b", NOON), message("c", NOON + 1)],
      historyStart: false,
      notice: false,
    });
    const older = timelineRows({
      list: [
        message("z", NOON - 48 * HOUR),
        message("a", NOON - 1),
        message("b", NOON),
        message("c", NOON + 1),
      ],
      historyStart: true,
      notice: false,
    });
    const newer = timelineRows({
      list: [message("b", NOON), message("c", NOON + 1), message("d", NOON + 2)],
      historyStart: false,
      notice: false,
    });
    expect(prepended(first.rows, older.rows)).toBe(true);
    // older messages of the same day: the day separator stays first
    const sameDay = timelineRows({
      list: [message("a", NOON - 1), message("b", NOON), message("c", NOON + 1)],
      historyStart: false,
      notice: false,
    });
    expect(sameDay.rows[0]?.key).toBe(first.rows[0]?.key);
    expect(prepended(first.rows, sameDay.rows)).toBe(true);
    expect(prepended(first.rows, newer.rows)).toBe(false);
    expect(prepended([], first.rows)).toBe(false);
  });

  it("finds the day label for the row at the top, and the next day's separator", () => {
    const list = [message("a", NOON), message("b", NOON + 1), message("c", NOON + 24 * HOUR)];
    const timeline = timelineRows({ list, historyStart: true, notice: false });
    // rows: history-start, day, a, b, day, c
    expect(stickyDay(timeline, 0)).toBeUndefined();
    expect(stickyDay(timeline, 2)).toEqual({ dayRow: 1, nextDayRow: 4 });
    expect(stickyDay(timeline, 4)).toEqual({ dayRow: 4, nextDayRow: undefined });
    expect(stickyDay(timeline, 5)).toEqual({ dayRow: 4, nextDayRow: undefined });
  });
});
