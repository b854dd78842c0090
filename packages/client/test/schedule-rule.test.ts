import { VollyError } from "@volly/protocol";
import { describe, expect, it } from "vitest";
import {
  formatScheduleRule,
  nextOccurrences,
  parseAt,
  parseScheduleRule,
} from "../src/scheduled/schedule-rule.js";

const DAY = 24 * 60 * 60 * 1000;

describe("scheduled messages: recurrence rules and --at", () => {
  it("parses daily and weekly rules and writes them back canonically", () => {
    expect(parseScheduleRule("daily 9:05")).toEqual({ kind: "daily", hour: 9, minute: 5 });
    expect(formatScheduleRule(parseScheduleRule("Weekly  Monday 09:00"))).toBe("weekly mon 09:00");
    expect(formatScheduleRule(parseScheduleRule("weekly sun 23:59"))).toBe("weekly sun 23:59");
  });

  it("refuses anything else with a usage error; every Ns only behind the test-only switch", () => {
    for (const bad of [
      "hourly",
      "daily 24:00",
      "daily 9",
      "weekly xyz 09:00",
      "weekly mon",
      "every 5s",
      "",
    ]) {
      expect(() => parseScheduleRule(bad), bad).toThrow(VollyError);
    }
    expect(parseScheduleRule("every 5s", true)).toEqual({ kind: "seconds", seconds: 5 });
    expect(() => parseScheduleRule("every 0s", true)).toThrow(VollyError);
  });

  it("daily 09:00 in Europe/Berlin follows the wall clock across the DST change", () => {
    // 2026-10-24 12:00 UTC; Berlin leaves summer time (UTC+2 → UTC+1) on 2026-10-25.
    const after = Date.UTC(2026, 9, 24, 12);
    const times = nextOccurrences(parseScheduleRule("daily 09:00"), {
      after,
      until: after + 10 * DAY,
      count: 3,
      timeZone: "Europe/Berlin",
      anchor: after,
    });
    expect(times.map((t) => new Date(t).toISOString())).toEqual([
      "2026-10-25T08:00:00.000Z",
      "2026-10-26T08:00:00.000Z",
      "2026-10-27T08:00:00.000Z",
    ]);
  });

  it("weekly rules land on their weekday, within the horizon and the count", () => {
    const after = Date.UTC(2026, 11, 5, 10); // a Saturday
    const times = nextOccurrences(parseScheduleRule("weekly mon 09:30"), {
      after,
      until: after + 14 * DAY,
      count: 7,
      timeZone: "America/New_York",
      anchor: after,
    });
    expect(times.map((t) => new Date(t).toISOString())).toEqual([
      "2026-12-07T14:30:00.000Z",
      "2026-12-14T14:30:00.000Z",
    ]);
  });

  it("every Ns counts from the schedule's creation, strictly after the given time", () => {
    const anchor = 1_000_000;
    expect(
      nextOccurrences(
        { kind: "seconds", seconds: 2 },
        { after: anchor + 2_500, until: anchor + 10_000, count: 2, timeZone: "UTC", anchor },
      ),
    ).toEqual([anchor + 4_000, anchor + 6_000]);
  });

  it("--at takes ISO-8601 with or without an offset, and nothing else", () => {
    expect(parseAt("2026-12-24T09:00:00Z")).toBe(Date.UTC(2026, 11, 24, 9));
    expect(parseAt("2026-12-24T09:00+01:00")).toBe(Date.UTC(2026, 11, 24, 8));
    expect(parseAt("2026-12-24T09:00")).toBe(new Date(2026, 11, 24, 9).getTime());
    for (const bad of ["tomorrow", "2026-12-24", "2026-13-45T99:00", "1796462746835"]) {
      expect(() => parseAt(bad), bad).toThrow(VollyError);
    }
  });
});
