import type { HistoryStart } from "../worker/rpc-types";

const dateFmt = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "long", day: "numeric" });

/**
 * Where a channel's history starts on this device, for the line at the top of its timeline
 * (DESIGN.md "History for newcomers": never a silent cut). The same sentences as the SDK's
 * `historyStartText`, with the dates in the user's locale and the sharer's display name.
 *
 * @param start the conversation's `historyStart`
 * @param nameOf how a handle is shown (display name or `@handle`)
 */
export function historyStartLine(start: HistoryStart, nameOf: (handle: string) => string): string {
  if (start.sharedBy !== undefined && start.since !== undefined) {
    return `History from ${dateFmt.format(start.since)}, shared by ${nameOf(start.sharedBy)} when you joined.`;
  }
  const joined = `History starts when you joined on ${dateFmt.format(start.joinedAt)}`;
  if (start.policy.kind === "days") {
    return `${joined}. A member's device may still share the last ${start.policy.days} days.`;
  }
  if (start.policy.kind === "none") return `${joined}: this channel does not share earlier messages.`;
  return `${joined}.`;
}
