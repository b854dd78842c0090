import type { GroupMessageEvent } from "@volly/protocol";
import { retryClass } from "@volly/protocol";

/**
 * After this many failed attempts (for a reason that is not transient) an entry is counted as
 * undecryptable ("other") and acknowledged, so one bad entry cannot wedge its group forever.
 */
export const MAX_ENTRY_ATTEMPTS = 5;
/**
 * An entry that failed for a reason worth retrying (`retryClass` "later" or "reauth": the server
 * briefly unreachable, a session to renew) is retried after this many ms, uncounted, forever.
 */
export const TRANSIENT_RETRY_MS = 1_000;

/** What to do with a log entry whose processing failed. */
export type EntryVerdict =
  /** Transient: reconnect in TRANSIENT_RETRY_MS and get it again, uncounted. */
  | "retry-later"
  /** Reconnect now and get it again (attempt counted). */
  | "retry"
  /** Failed MAX_ENTRY_ATTEMPTS times: count it undecryptable and acknowledge it. */
  | "give-up";

/**
 * Failed group-log entries of the current gateway session: a group whose entry failed is held back
 * (its later entries are not processed out of order) until the connection is dropped and the
 * server delivers the entry again; attempts are counted per entry.
 */
export class EntryRetries {
  private readonly blocked = new Set<string>();
  private readonly failures = new Map<string, number>();

  /** A new session started (READY/RESUMED): every group is processed again. */
  sessionStarted(): void {
    this.blocked.clear();
  }

  /** Whether entries of this group wait for a failed one to come again. */
  isBlocked(groupId: string): boolean {
    return this.blocked.has(groupId);
  }

  /** The entry was processed: its failure count is forgotten. */
  succeeded(event: GroupMessageEvent): void {
    this.failures.delete(key(event));
  }

  /** Records a failure of `event` with `error` and says what to do (see {@link EntryVerdict}). */
  failed(event: GroupMessageEvent, error: unknown): EntryVerdict {
    this.blocked.add(event.groupId);
    if (retryClass(error) !== "never") return "retry-later";
    const attempts = (this.failures.get(key(event)) ?? 0) + 1;
    this.failures.set(key(event), attempts);
    if (attempts < MAX_ENTRY_ATTEMPTS) return "retry";
    this.blocked.delete(event.groupId);
    this.failures.delete(key(event));
    return "give-up";
  }
}

function key(event: GroupMessageEvent): string {
  return `${event.groupId}:${event.seq}`;
}
