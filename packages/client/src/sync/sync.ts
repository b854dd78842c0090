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
import type { Sync } from "./sync-api.js";

/**
 * The SDK's {@link Sync} (see there for each public member): the gateway connection hands it each
 * dispatch (`handle`, one at a time, in order), applied through the handler of its event
 * (`registry.ts`); presence and typing go to their services. A dispatch whose payload does not
 * match its event's schema is ignored.
 */
export class SyncService implements Sync {
  readonly joined = new ListenerSet<ConversationRecord>();
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
