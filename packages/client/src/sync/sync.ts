import {
  DISPATCH_EVENTS,
  type DispatchEventName,
  type DispatchPayload,
  matches,
  VollyError,
} from "@volly/protocol";
import type { ConversationRecord } from "../conversations/conversation-records.js";
import { ListenerSet } from "../shared/listeners.js";
import type { Dispatch } from "../transport/gateway-connection.js";
import type { DispatchHandler, SyncContext, SyncDeps } from "./dispatch-handler.js";
import { EntryRetries } from "./entry-retries.js";
import { DISPATCH_HANDLERS } from "./registry.js";

/**
 * Applies the gateway's dispatches to local state, in order, each through the handler of its event
 * (`registry.ts`): joins groups from WELCOMEs, processes GROUP_MESSAGEs, and acknowledges each only
 * after its effects are stored (at-least-once delivery plus local dedup = exactly-once for the
 * user); presence and typing go to `Presence` and `Typing`. A dispatch whose payload does not match
 * its event's schema is ignored.
 */
export class Sync {
  /** Fires when a Welcome created a new conversation (not for the account's self conversation). */
  readonly joined = new ListenerSet<ConversationRecord>();
  /** Fires after each SYNCED: everything the server held for this device has been processed. */
  readonly synced = new ListenerSet<number>();
  private readonly context: SyncContext;

  /** @param deps the client's services the dispatch handlers use */
  constructor(deps: SyncDeps) {
    this.context = { ...deps, joined: this.joined, synced: this.synced, entries: new EntryRetries() };
  }

  /**
   * Handles one dispatch (the gateway connection calls it one at a time, in order). Never throws for
   * a bad event (it is counted and acknowledged); throws only when the local store fails.
   */
  async handle(dispatch: Dispatch): Promise<void> {
    const t: DispatchEventName = dispatch.t;
    const payload = dispatch.d;
    if (!matches(DISPATCH_EVENTS[t], payload)) return;
    const handler = DISPATCH_HANDLERS[t] as DispatchHandler<DispatchEventName>;
    await handler.handle(payload as DispatchPayload<DispatchEventName>, this.context);
  }

  /** Resolves at the next SYNCED dispatch, or rejects with VOLLY_E_SERVER_UNREACHABLE after `timeoutMs`. */
  nextSynced(timeoutMs = 30_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new VollyError("VOLLY_E_SERVER_UNREACHABLE", "Timed out waiting for the server to sync."));
      }, timeoutMs);
      const off = this.synced.add(() => {
        clearTimeout(timer);
        off();
        resolve();
      });
    });
  }
}
