import type { AccountStatus } from "@volly/client";
import { VollyError } from "@volly/protocol";

/** The statuses `volly status set` takes. */
export const STATUS_CHOICES: readonly AccountStatus[] = ["online", "idle", "dnd", "invisible"];

/** An ISO-8601 date, or date and time with optional seconds, fraction and zone (Z or ±hh[:]mm). */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * Parses the STATUS argument of `volly status set`.
 *
 * @throws VollyError VOLLY_E_USAGE (exit 2) for anything but online, idle, dnd or invisible
 */
export function parseStatusArg(value: string): AccountStatus {
  if ((STATUS_CHOICES as readonly string[]).includes(value)) return value as AccountStatus;
  throw new VollyError(
    "VOLLY_E_USAGE",
    `A status is one of ${STATUS_CHOICES.join(", ")}; got ${JSON.stringify(value)}.`,
  );
}

/**
 * Parses `--until`: an ISO-8601 date or date-time (a time without zone is local time) in the future.
 *
 * @param now the clock (ms)
 * @throws VollyError VOLLY_E_USAGE (exit 2) for another format, an impossible date or a past one
 */
export function parseUntilArg(value: string, now: number): Date {
  const ms = ISO_8601.test(value) ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new VollyError(
      "VOLLY_E_USAGE",
      `--until takes an ISO-8601 date-time, e.g. 2026-01-31T18:00Z; got ${JSON.stringify(value)}.`,
    );
  }
  if (ms <= now) throw new VollyError("VOLLY_E_USAGE", `--until must be in the future: ${value}`);
  return new Date(ms);
}
