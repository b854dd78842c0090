import { type GatewayOp, VollyError } from "@volly/protocol";
import type { OpHandler } from "./op-handler.js";

/**
 * ACK (op 12): the device durably processed these groups' logs up to `seq` and these Welcomes. Only
 * what this connection dispatched can be acknowledged — each cursor is capped at how far the
 * connection dispatched its group, which keeps every cursor within the device's memberships and the
 * groups' logs without reading the store — and the acks are buffered and written together.
 *
 * @throws VollyError VOLLY_E_NOT_AUTHENTICATED before READY
 */
export const ack: OpHandler<typeof GatewayOp.ACK> = {
  serial: true,
  handle(frame, connection) {
    const { session, pump } = connection;
    if (!session) throw new VollyError("VOLLY_E_NOT_AUTHENTICATED");
    const cursors = frame.d.cursors.flatMap(({ groupId, seq }) => {
      const upTo = pump?.dispatchedUpTo(groupId);
      return upTo ? [{ groupId, seq: Math.min(seq, upTo) }] : [];
    });
    connection.deps.acks.add(session.deviceId, cursors, frame.d.welcomeIds);
  },
};
