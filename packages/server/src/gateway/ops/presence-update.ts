import { type GatewayOp, VollyError } from "@volly/protocol";
import type { OpHandler } from "./op-handler.js";

/**
 * PRESENCE_UPDATE (op 3): this device is online or away; the account's presence (online if any of
 * its devices is) is recomputed and pushed to the accounts sharing a group with it.
 *
 * @throws VollyError VOLLY_E_NOT_AUTHENTICATED before READY
 */
export const presenceUpdate: OpHandler<typeof GatewayOp.PRESENCE_UPDATE> = {
  serial: true,
  handle(frame, connection) {
    if (!connection.session || !connection.presence) throw new VollyError("VOLLY_E_NOT_AUTHENTICATED");
    connection.presence.setStatus(frame.d.status);
  },
};
