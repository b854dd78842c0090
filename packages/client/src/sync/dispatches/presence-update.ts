import type { DispatchHandler } from "../dispatch-handler.js";

/** PRESENCE_UPDATE: a contact's presence changed (ephemeral, never stored). */
export const presenceUpdate: DispatchHandler<"PRESENCE_UPDATE"> = {
  handle(event, sync) {
    sync.presence.handle(event);
  },
};
