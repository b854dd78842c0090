import { VollyError } from "@volly/protocol";

/**
 * A recurrence rule (the SPEC of `volly send --every`):
 * - `daily HH:MM` — every day at that wall-clock time in the schedule's time zone;
 * - `weekly DAY HH:MM` — every week on DAY (mon, tue, wed, thu, fri, sat, sun) at that time;
 * - `every Ns` — every N seconds (1–3600) from the schedule's creation: for tests and demos only,
 *   accepted only when the client was opened with `scheduling.allowSecondIntervals`.
 */
export type ScheduleRule =
  | { kind: "daily"; hour: number; minute: number }
  | { kind: "weekly"; weekday: number; hour: number; minute: number }
  | { kind: "seconds"; seconds: number };

const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/**
 * Parses a recurrence rule (see {@link ScheduleRule}); case-insensitive, spaces collapsed.
 *
 * @param allowSeconds whether `every Ns` is accepted (test-only configuration)
 * @throws VollyError VOLLY_E_USAGE naming the accepted forms
 */
export function parseScheduleRule(spec: string, allowSeconds = false): ScheduleRule {
  const words = spec.trim().toLowerCase().split(/\s+/);
  const usage = () =>
    new VollyError(
      "VOLLY_E_USAGE",
      `"${spec}" is not a rule: use "daily HH:MM" or "weekly mon|tue|wed|thu|fri|sat|sun HH:MM".`,
      { rule: spec },
    );
  const time = (text: string | undefined) => {
    const match = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(text ?? "");
    if (!match) throw usage();
    return { hour: Number(match[1]), minute: Number(match[2]) };
  };
  if (words[0] === "daily" && words.length === 2) return { kind: "daily", ...time(words[1]) };
  if (words[0] === "weekly" && words.length === 3) {
    const weekday = WEEKDAYS.indexOf((words[1] ?? "").slice(0, 3));
    if (weekday < 0 || !WEEKDAYS.some((d) => (words[1] ?? "").startsWith(d))) throw usage();
    return { kind: "weekly", weekday, ...time(words[2]) };
  }
  const seconds = words[0] === "every" && words.length === 2 ? /^(\d{1,4})s$/.exec(words[1] ?? "") : null;
  if (seconds && allowSeconds) {
    const n = Number(seconds[1]);
    if (n >= 1 && n <= 3600) return { kind: "seconds", seconds: n };
  }
  throw usage();
}

/** The rule written back in its canonical form ("daily 09:00", "weekly mon 09:00", "every 5s"). */
export function formatScheduleRule(rule: ScheduleRule): string {
  const hm = (h: number, m: number) => `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`;
  if (rule.kind === "daily") return `daily ${hm(rule.hour, rule.minute)}`;
  if (rule.kind === "weekly") return `weekly ${WEEKDAYS[rule.weekday]} ${hm(rule.hour, rule.minute)}`;
  return `every ${rule.seconds}s`;
}

/** The wall-clock fields of an instant in a time zone. */
function wallClock(ms: number, timeZone: string) {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    weekday: "short",
  }).formatToParts(new Date(ms));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "0";
  return {
    year: Number(get("year")),
    month: Number(get("month")),
    day: Number(get("day")),
    hour: Number(get("hour")),
    minute: Number(get("minute")),
    second: Number(get("second")),
    weekday: WEEKDAYS.indexOf(get("weekday").toLowerCase().slice(0, 3)),
  };
}

/** The zone's offset from UTC at an instant (ms; positive east of Greenwich). */
function zoneOffset(ms: number, timeZone: string): number {
  const w = wallClock(ms, timeZone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(ms / 1000) * 1000;
}

/**
 * The instant a wall-clock time of a calendar day has in a time zone (a time skipped by a DST jump
 * moves forward by the jump; a repeated one takes the first).
 */
function instantOf(year: number, month: number, day: number, hour: number, minute: number, timeZone: string) {
  const guess = Date.UTC(year, month - 1, day, hour, minute);
  const first = guess - zoneOffset(guess, timeZone);
  const second = guess - zoneOffset(first, timeZone);
  return Math.min(first, second);
}

/**
 * The next occurrences of a rule strictly after `after`, at most `count` of them and none later
 * than `until` (ms since the Unix epoch).
 *
 * @param anchor for `every Ns`: the instant the series counts from (its creation)
 * @param timeZone an IANA time zone (e.g. "Europe/Berlin") the wall-clock times are in
 * @throws RangeError for an unknown time zone
 */
export function nextOccurrences(
  rule: ScheduleRule,
  options: { after: number; until: number; count: number; timeZone: string; anchor: number },
): number[] {
  const { after, until, count, timeZone, anchor } = options;
  const out: number[] = [];
  if (rule.kind === "seconds") {
    const step = rule.seconds * 1000;
    let t = anchor + Math.max(1, Math.floor((after - anchor) / step) + 1) * step;
    while (out.length < count && t <= until) {
      out.push(t);
      t += step;
    }
    return out;
  }
  const start = wallClock(after, timeZone);
  // Walk calendar days from the day `after` falls on (in the zone), at most 400 of them.
  for (let i = 0; i < 400 && out.length < count; i++) {
    const day = new Date(Date.UTC(start.year, start.month - 1, start.day + i));
    const weekday = day.getUTCDay();
    if (rule.kind === "weekly" && weekday !== rule.weekday) continue;
    const t = instantOf(
      day.getUTCFullYear(),
      day.getUTCMonth() + 1,
      day.getUTCDate(),
      rule.hour,
      rule.minute,
      timeZone,
    );
    if (t > until) break;
    if (t > after) out.push(t);
  }
  return out;
}

/**
 * Parses `--at`: an ISO-8601 date and time (`2026-12-24T09:00`, seconds and a `Z` or `±HH:MM`
 * offset optional; without an offset it is the sender's local time).
 *
 * @throws VollyError VOLLY_E_USAGE when malformed
 */
export function parseAt(text: string): number {
  const ok = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?$/.test(text);
  const ms = ok ? Date.parse(text) : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new VollyError(
      "VOLLY_E_USAGE",
      `"${text}" is not an ISO-8601 date and time (e.g. 2026-12-24T09:00 or 2026-12-24T09:00:00Z).`,
      { at: text },
    );
  }
  return ms;
}
