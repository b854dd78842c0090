import type { HistoryPolicy } from "@volly/protocol";
import type { HistoryStart } from "../conversations/conversation-records.js";

/** A date as `YYYY-MM-DD` (UTC). */
function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * Where a channel conversation's history starts on this device, as one English sentence for a UI
 * or the CLI (DESIGN.md "History for newcomers": never a silent cut):
 * - something was shared: "History from 2026-11-05, shared by @alice.";
 * - policy "last N days", nothing shared yet: "History starts when you joined (2026-12-05); a
 *   member's device may still share the last N days.";
 * - policy "from join": "History starts when you joined (2026-12-05).";
 * - policy "none": "History starts when you joined (2026-12-05): this channel does not share
 *   earlier messages."
 *
 * @param start the conversation's `historyStart`
 * @param formatDate how a date (epoch ms) is written (default `YYYY-MM-DD`, UTC)
 */
export function historyStartText(start: HistoryStart, formatDate: (ms: number) => string = isoDate): string {
  if (start.sharedBy !== undefined && start.since !== undefined) {
    return `History from ${formatDate(start.since)}, shared by @${start.sharedBy}.`;
  }
  const joined = `History starts when you joined (${formatDate(start.joinedAt)})`;
  const text = UNSHARED[start.policy.kind] as (joined: string, policy: HistoryPolicy) => string;
  return text(joined, start.policy);
}

/** The sentence for each policy while nothing was shared, from "History starts when you joined (…)". */
const UNSHARED: {
  readonly [K in HistoryPolicy["kind"]]: (
    joined: string,
    policy: Extract<HistoryPolicy, { kind: K }>,
  ) => string;
} = {
  days: (joined, policy) => `${joined}; a member's device may still share the last ${policy.days} days.`,
  "from-join": (joined) => `${joined}.`,
  none: (joined) => `${joined}: this channel does not share earlier messages.`,
};
