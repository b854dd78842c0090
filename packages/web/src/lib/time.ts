const timeFmt = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: "long", month: "long", day: "numeric" });
const yearDayFmt = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "long", day: "numeric" });
const shortDayFmt = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });
const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "short" });

const DAY_MS = 86_400_000;

/** The start (local midnight, ms since the epoch) of the day `ms` falls on. */
export function startOfDay(ms: number): number {
  const d = new Date(ms);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/** "14:05" */
export function formatTime(ms: number): string {
  return timeFmt.format(ms);
}

/** Full date and time, for a title/tooltip. */
export function formatFull(ms: number): string {
  return fullFmt.format(ms);
}

/** A day separator's label: "Today", "Yesterday", "Monday, March 3", or with the year. */
export function formatDay(ms: number, now = Date.now()): string {
  const diff = Math.round((startOfDay(now) - startOfDay(ms)) / DAY_MS);
  if (diff === 0) return "Today";
  if (diff === 1) return "Yesterday";
  if (new Date(ms).getFullYear() === new Date(now).getFullYear()) return dayFmt.format(ms);
  return yearDayFmt.format(ms);
}

/** A conversation list timestamp: the time today, the day otherwise. */
export function formatListTime(ms: number, now = Date.now()): string {
  if (startOfDay(ms) === startOfDay(now)) return timeFmt.format(ms);
  if (startOfDay(now) - startOfDay(ms) === DAY_MS) return "Yesterday";
  return shortDayFmt.format(ms);
}

/** True when two timestamps fall on different local days. */
export function isNewDay(prev: number | undefined, next: number): boolean {
  return prev === undefined || startOfDay(prev) !== startOfDay(next);
}
