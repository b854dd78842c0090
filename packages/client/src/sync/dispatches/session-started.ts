import type { DispatchHandler } from "../dispatch-handler.js";

/**
 * READY and RESUMED: a gateway session (re)started. Held-back groups are processed again and
 * presence expects the server's snapshot of contacts.
 */
export const sessionStarted: DispatchHandler<"READY" | "RESUMED"> = {
  handle(_payload, sync) {
    sync.entries.sessionStarted();
    sync.presence.sessionStarted();
  },
};
