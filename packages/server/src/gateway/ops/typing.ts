import { type GatewayOp, VollyError } from "@volly/protocol";
import type { OpHandler } from "./op-handler.js";

/**
 * TYPING (op 14): relayed to the group's other live sessions (membership checked by the typing
 * service); beyond one per group per `TYPING_MIN_INTERVAL_MS` frames are dropped silently.
 *
 * @throws VollyError VOLLY_E_NOT_AUTHENTICATED before READY; the typing service's errors
 *   (VOLLY_E_NOT_GROUP_MEMBER, VOLLY_E_UNKNOWN_GROUP)
 */
export const typing: OpHandler<typeof GatewayOp.TYPING> = {
  serial: true,
  async handle(frame, connection) {
    const { session } = connection;
    if (!session) throw new VollyError("VOLLY_E_NOT_AUTHENTICATED");
    if (!connection.typingGate.allow(frame.d.groupId)) return;
    await connection.deps.services.typing.start(session, frame.d.groupId);
  },
};
