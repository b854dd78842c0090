import type { DispatchHandler } from "../dispatch-handler.js";
import { TRANSIENT_RETRY_MS } from "../entry-retries.js";

/**
 * GROUP_MESSAGE: one entry of a group's log, processed by the receiving pipeline and acknowledged
 * once its effects are stored. A failure holds the group back and gets the entry again by dropping
 * the connection (soon for a transient failure, at once otherwise); an entry that keeps failing is
 * counted undecryptable and acknowledged (see `EntryRetries`).
 */
export const groupMessage: DispatchHandler<"GROUP_MESSAGE"> = {
  async handle(event, sync) {
    if (sync.entries.isBlocked(event.groupId)) return;
    try {
      const message = await sync.incoming.handle(event);
      if (message) sync.typing.clear(event.groupId, event.senderAccountId);
      sync.entries.succeeded(event);
    } catch (err) {
      const verdict = sync.entries.failed(event, err);
      if (verdict === "retry-later") {
        // The server is briefly unreachable for REST: try again soon, never give the entry up.
        const timer = setTimeout(() => sync.resync(), TRANSIENT_RETRY_MS);
        (timer as { unref?: () => void }).unref?.();
        return;
      }
      if (verdict === "retry") {
        sync.resync();
        return;
      }
      await sync.deliveryLog
        .countUndecryptable("other")
        .catch(sync.diagnostics.catcher("delivery-log.count"));
    }
    sync.acknowledge([{ groupId: event.groupId, seq: event.seq }], []);
  },
};
