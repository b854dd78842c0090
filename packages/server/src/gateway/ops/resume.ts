import { GatewayOp, VollyError } from "@volly/protocol";
import { encodeFrame } from "../frames.js";
import type { OpHandler } from "./op-handler.js";

const NOT_RESUMABLE = encodeFrame({ op: GatewayOp.INVALID_SESSION, d: { resumable: false } });

/**
 * RESUME (op 6): re-attaches a session of the signing device (held by this node, recently closed or
 * still attached elsewhere, which is then superseded), dispatches RESUMED and restarts delivery from
 * the durable cursors. An unknown, expired or foreign session gets INVALID_SESSION `{resumable:
 * false}` (the connection stays open for an IDENTIFY); a bad signature closes it like IDENTIFY.
 *
 * @throws VollyError VOLLY_E_ALREADY_AUTHENTICATED when the connection has a session
 */
export const resume: OpHandler<typeof GatewayOp.RESUME> = {
  serial: true,
  async handle(frame, connection) {
    if (connection.session) throw new VollyError("VOLLY_E_ALREADY_AUTHENTICATED");
    const device = await connection.verify(frame.d.deviceId, frame.d.signature, frame.d.apiKey);
    if (!device || connection.closed) return;
    const resumed = connection.deps.registry.resume(frame.d.sessionId, device.deviceId, connection.holder);
    if (!resumed) {
      connection.send(NOT_RESUMABLE);
      return;
    }
    if (device.apiKey) resumed.apiKey = device.apiKey;
    else delete resumed.apiKey;
    connection.deps.log.debug({ sessionId: resumed.sessionId, deviceId: device.deviceId }, "gateway resumed");
    await connection.begin(resumed, device, "RESUMED", { sessionId: resumed.sessionId });
  },
};
