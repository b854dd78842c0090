import type { ConversationRecord } from "../conversations/conversation-records.js";
import type { Listeners } from "../shared/listeners.js";

/**
 * `client.sync`: the gateway's deliveries applied to local state, in order — Welcomes join
 * groups, group log entries become messages and state changes, each acknowledged only after its
 * effects are stored (at-least-once delivery plus local dedup: exactly once for the user). It runs
 * on its own once the client is connected; these members observe it.
 */
export interface Sync {
  /** Fires when a Welcome added this device to a new conversation (not the account's self conversation). */
  readonly joined: Listeners<ConversationRecord>;
  /**
   * Fires after each SYNCED dispatch — everything the server held for this device when the session
   * started has been processed — with the number of backlog entries the server reported.
   */
  readonly synced: Listeners<number>;

  /**
   * Resolves at the next SYNCED dispatch (after the next (re)connection's backlog is processed).
   *
   * @param timeoutMs how long to wait (ms, default 30,000)
   * @throws VollyError VOLLY_E_SERVER_UNREACHABLE after `timeoutMs`
   */
  nextSynced(timeoutMs?: number): Promise<void>;
}
