import { type GatewayOp, VollyError } from "@volly/protocol";
import type { OpHandler } from "./op-handler.js";

/**
 * PRESENCE_UPDATE (op 3): this device is online or idle ("away" is the older name of idle); the
 * account's presence (online if any of its devices is, unless it chose another status) is
 * recomputed and pushed to the accounts sharing a group with it and to its own devices.
 *
 * @throws VollyError VOLLY_E_NOT_AUTHENTICATED before READY
 */
export const presenceUpdate: OpHandler<typeof GatewayOp.PRESENCE_UPDATE> = {
  serial: true,
  handle(frame, connection) {
    if (!connection.session || !connection.presence) throw new VollyError("VOLLY_E_NOT_AUTHENTICATED");
    connection.presence.setStatus(frame.d.status === "online" ? "online" : "idle");
  },
};
