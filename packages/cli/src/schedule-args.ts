import { parseAt, parseScheduleRule } from "@volly/client";
import { VollyError } from "@volly/protocol";

/**
 * Whether the test-only rule `every Ns` is accepted: only with VOLLY_DEV_SCHEDULE_SECONDS=1 in the
 * environment (integration tests; never documented as a user feature).
 */
export function allowSecondIntervals(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.VOLLY_DEV_SCHEDULE_SECONDS === "1";
}

/** When to send, from `volly send --at/--every`, checked before the profile is unlocked. */
export type SendWhen = { at: number } | { every: string } | undefined;

/**
 * Checks `--at` / `--every` of `volly send`.
 *
 * @param now the clock (ms)
 * @throws VollyError VOLLY_E_USAGE (exit 2): both given, `--queue` with either, `--at` not ISO-8601
 *   or not in the future, a rule that does not parse
 */
export function parseSendWhen(o: { at?: string; every?: string; queue?: boolean }, now: number): SendWhen {
  if (o.at !== undefined && o.every !== undefined) {
    throw new VollyError("VOLLY_E_USAGE", "Give --at or --every, not both.");
  }
  if ((o.at !== undefined || o.every !== undefined) && o.queue) {
    throw new VollyError(
      "VOLLY_E_USAGE",
      "--queue does not apply to scheduled messages (the server holds them).",
    );
  }
  if (o.at !== undefined) {
    const at = parseAt(o.at);
    if (at <= now) throw new VollyError("VOLLY_E_USAGE", `--at must be in the future: ${o.at}`, { at: o.at });
    return { at };
  }
  if (o.every !== undefined) {
    parseScheduleRule(o.every, allowSecondIntervals());
    return { every: o.every };
  }
  return undefined;
}
