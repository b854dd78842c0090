import type { DispatchHandler } from "../dispatch-handler.js";

/**
 * EPHEMERAL_MESSAGE: an ephemeral MLS message (call signaling) relayed to this connected device:
 * decrypted in its conversation's queue, after the log entries dispatched before it, and emitted
 * (`messaging/ephemeral-incoming.ts`). Never stored, never acknowledged: it has no seq.
 */
export const ephemeralMessage: DispatchHandler<"EPHEMERAL_MESSAGE"> = {
  async handle(event, sync) {
    await sync.ephemeral.handle(event);
  },
};
