import { VollyError } from "@volly/protocol";
import type { ConversationRecord } from "../conversations/conversation-records.js";
import type { ClientContext } from "../shared/client-context.js";
import { ListenerSet } from "../shared/listeners.js";
import type { UndecryptableCounts } from "./message-records.js";

/**
 * One line of the client's delivery log: a message it could not decrypt ("undecryptable", with its
 * DecryptFailureCause), a message of an epoch before this device joined the group, skipped
 * ("before-join", cause "wrong-epoch": it was never meant for this device, so it is not counted),
 * a rejoin by external commit after a lost or forked state ("resynced"), or a rejoin that failed
 * ("resync-failed", with the error code). Ids and causes only, never content.
 */
export interface DeliveryDiagnostic {
  /** What happened (see above). */
  kind: "undecryptable" | "before-join" | "resynced" | "resync-failed";
  /** Why: a DecryptFailureCause of @volly/crypto (e.g. "wrong-epoch", "bad-signature", "missing-state"). */
  cause: string;
  /** The conversation concerned, when known. */
  conversationId?: string;
  /** "resync-failed": the error code of the failed rejoin. */
  error?: string;
}

/**
 * The device's delivery log (the "unable to decrypt" telemetry DESIGN.md asks for): counts of
 * messages it could not decrypt, by cause, and of rejoins by external commit, kept sealed in the
 * store, with a listener for each event. Never content.
 */
export class DeliveryLog {
  /** Fires for every undecryptable message and every rejoin (or failed rejoin). */
  readonly diagnostics = new ListenerSet<DeliveryDiagnostic>();

  constructor(private readonly ctx: ClientContext) {}

  /** Messages this device could not decrypt, by cause. */
  async undecryptable(): Promise<UndecryptableCounts> {
    return (await this.ctx.stores.undecryptable.get()) ?? {};
  }

  /** How many times this device rejoined a group by external commit. */
  async recoveries(): Promise<number> {
    return (await this.ctx.stores.recoveries.get()) ?? 0;
  }

  /**
   * Counts one message this device could not decrypt; with `advanced` (inside its conversation's
   * queue) the conversation moves past the entry in the same batch, so it is not processed again.
   */
  async countUndecryptable(cause: string, advanced?: ConversationRecord): Promise<void> {
    const counts = await this.undecryptable();
    counts[cause] = (counts[cause] ?? 0) + 1;
    this.diagnostics.emit({
      kind: "undecryptable",
      cause,
      ...(advanced ? { conversationId: advanced.id } : {}),
    });
    const { stores } = this.ctx;
    const batch = stores.undecryptable.put(stores.batch(), counts);
    if (advanced) stores.conversations.save(batch, advanced);
    await batch.commit();
  }

  /**
   * Skips a log entry of an epoch before this device joined the conversation's group (inside its
   * queue): the conversation moves past it (`advanced` is saved), nothing is counted, and a
   * "before-join" diagnostic is reported.
   */
  async skipBeforeJoin(advanced: ConversationRecord): Promise<void> {
    const { stores } = this.ctx;
    await stores.conversations.save(stores.batch(), advanced).commit();
    this.diagnostics.emit({ kind: "before-join", cause: "wrong-epoch", conversationId: advanced.id });
  }

  /** Counts a successful rejoin of a conversation (caused by `cause`) and reports it. */
  async countRecovery(conversationId: string, cause: string): Promise<void> {
    const count = (await this.recoveries()) + 1;
    await this.ctx.stores.recoveries.put(this.ctx.stores.batch(), count).commit();
    this.diagnostics.emit({ kind: "resynced", conversationId, cause });
  }

  /** Reports a rejoin that failed (it is retried by the next entry); nothing is stored. */
  reportFailedRecovery(conversationId: string, cause: string, error: unknown): void {
    this.diagnostics.emit({ kind: "resync-failed", conversationId, cause, error: errorCode(error) });
  }
}

function errorCode(err: unknown): string {
  return err instanceof VollyError ? err.code : err instanceof Error ? err.name : "unknown";
}
