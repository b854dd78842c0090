import type { ClientContext } from "../../shared/client-context.js";
import type { KeyedQueue } from "../../shared/keyed-queue.js";
import type { VaultBatch } from "../../storage/vault.js";
import type { MessageAction } from "./message-action.js";

/** Most actions kept waiting for one message; beyond it the oldest (by log position) are dropped. */
export const PENDING_PER_TARGET_MAX = 64;
/** Most messages with actions waiting for them; beyond it the longest-waiting lists are dropped. */
export const PENDING_TARGETS_MAX = 1_000;
/** How long an action waits for its message at most (by its sender's clock), ms: 30 days. */
export const PENDING_MAX_AGE_MS = 30 * 24 * 3600 * 1000;
/** How often, at most, kept actions are swept for age, ms. */
const SWEEP_EVERY_MS = 3600 * 1000;

/**
 * Actions (reactions, edits, deletions, pins) waiting for the message they target, sealed under
 * `pendingActions[targetId]`, bounded so that actions whose message never comes (a member who
 * sent them and then the message was lost, or a malicious member aiming at ids that do not exist)
 * cannot fill the store: at most PENDING_PER_TARGET_MAX per message (the oldest dropped at once),
 * at most PENDING_TARGETS_MAX messages waited for, and none older than PENDING_MAX_AGE_MS (a
 * background sweep, in each conversation's queue, drops the lists whose newest action is oldest).
 * A dropped action is lost for this device: the view may then differ from one that got the
 * message in time, as it would had the action been sent while the message was lost.
 */
export class PendingActions {
  private lastSweep = 0;
  private sweeping: Promise<void> | undefined;

  constructor(
    private readonly ctx: ClientContext,
    private readonly queue: KeyedQueue,
  ) {}

  /**
   * Stages keeping `action` for its target in `batch` (inside the target's conversation queue; an
   * action already kept is not kept twice). May start a background sweep once `batch` commits.
   */
  async keepLocked(batch: VaultBatch, action: MessageAction): Promise<void> {
    const { stores } = this.ctx;
    const waiting = (await stores.pendingActions.get(action.targetId)) ?? [];
    if (waiting.some((a) => a.id === action.id)) return;
    const kept = [...waiting, action].sort(bySeq).slice(-PENDING_PER_TARGET_MAX);
    stores.pendingActions.put(batch, action.targetId, kept);
    const now = Date.now();
    const crowded = waiting.length === 0 && (await stores.pendingActions.ids()).length >= PENDING_TARGETS_MAX;
    if (crowded || now - this.lastSweep >= SWEEP_EVERY_MS) {
      this.lastSweep = now;
      batch.onCommit(() => {
        this.sweeping ??= this.sweep()
          .catch(this.ctx.diagnostics.catcher("actions.pending-sweep"))
          .finally(() => {
            this.sweeping = undefined;
          });
      });
    }
  }

  /** Waits for a sweep under way (for tests and close). */
  async settled(): Promise<void> {
    await this.sweeping;
  }

  /**
   * Drops actions older than PENDING_MAX_AGE_MS and, beyond PENDING_TARGETS_MAX messages, the lists
   * whose newest action is oldest. Each list is rewritten in its conversation's queue (re-read there:
   * an action kept meanwhile is not lost by this sweep).
   */
  async sweep(now = Date.now()): Promise<void> {
    const { stores } = this.ctx;
    const lists = await stores.pendingActions.list();
    const newest = (list: MessageAction[]) => Math.max(...list.map((a) => Math.min(a.at, now)));
    const byAge = lists.filter(([, list]) => list.length > 0).sort(([, a], [, b]) => newest(b) - newest(a));
    const overflow = new Set(byAge.slice(PENDING_TARGETS_MAX).map(([id]) => id));
    for (const [targetId, list] of lists) {
      const conversationId = list[0]?.conversationId;
      const expired = list.some((a) => isExpired(a, now));
      if (conversationId === undefined || (!expired && !overflow.has(targetId))) continue;
      await this.queue.run(conversationId, async () => {
        const current = (await stores.pendingActions.get(targetId)) ?? [];
        const keep = overflow.has(targetId)
          ? current.filter((a) => !list.some((old) => old.id === a.id))
          : current.filter((a) => !isExpired(a, now));
        const batch = stores.batch();
        if (keep.length === 0) stores.pendingActions.delete(batch, targetId);
        else stores.pendingActions.put(batch, targetId, keep);
        await batch.commit();
      });
    }
  }
}

/** Whether a kept action is older than PENDING_MAX_AGE_MS (by its sender's clock) at `now`. */
export function isExpired(action: MessageAction, now: number): boolean {
  return now - action.at > PENDING_MAX_AGE_MS;
}

/** Log order (an action of this device not sent yet last), then the acting device's clock. */
export function bySeq(a: MessageAction, b: MessageAction): number {
  return (a.seq ?? Number.MAX_SAFE_INTEGER) - (b.seq ?? Number.MAX_SAFE_INTEGER) || a.at - b.at;
}
