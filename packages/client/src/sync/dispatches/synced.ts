import type { DispatchHandler } from "../dispatch-handler.js";

/**
 * SYNCED: the backlog is processed. Sends what the outbox holds, refills the key package pool
 * (others may have claimed packages while this device was away), settles pending commits and
 * resumes departure Removes in the background, then announces it.
 */
export const synced: DispatchHandler<"SYNCED"> = {
  async handle(event, sync) {
    await sync.outbox.flush().catch(sync.diagnostics.catcher("outbox.flush"));
    // Others may have claimed this device's key packages while it was away (adds that failed,
    // or a claimant draining the pool): refill now rather than at the next Welcome.
    sync.keyPackages.topUp().catch(sync.diagnostics.catcher("key-packages.top-up"));
    void sync.conversations.commits
      .settleAll()
      .then(() => sync.conversations.departures.resume())
      .catch(sync.diagnostics.catcher("conversations.resume"));
    sync.presence.synced();
    sync.synced.emit(event.backlog);
  },
};
