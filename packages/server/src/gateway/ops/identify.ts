import { type GatewayOp, newId, PROTOCOL_VERSION, VollyError } from "@volly/protocol";
import type { OpHandler } from "./op-handler.js";

/**
 * IDENTIFY (op 2): authenticates the connection with a signature over the HELLO nonce
 * (`signingInput.identify`), then READY with a new session and delivery starts. A protocol version
 * other than the server's, a bad signature or an unknown or revoked device gets an ERROR frame and
 * the error's close code.
 *
 * @throws VollyError VOLLY_E_ALREADY_AUTHENTICATED when the connection has a session
 */
export const identify: OpHandler<typeof GatewayOp.IDENTIFY> = {
  serial: true,
  async handle(frame, connection) {
    if (connection.session) throw new VollyError("VOLLY_E_ALREADY_AUTHENTICATED");
    if (frame.d.protocolVersion !== PROTOCOL_VERSION) {
      connection.fail(
        new VollyError("VOLLY_E_BAD_REQUEST", `This server speaks protocol version ${PROTOCOL_VERSION}.`, {
          protocolVersion: PROTOCOL_VERSION,
        }),
      );
      return;
    }
    const device = await connection.verify(frame.d.deviceId, frame.d.signature, frame.d.apiKey);
    if (!device || connection.closed) return;
    const session = { sessionId: newId(), ...device, seq: 0 };
    connection.deps.registry.attach(session, connection.holder);
    connection.deps.log.debug(
      { sessionId: session.sessionId, deviceId: device.deviceId },
      "gateway identified",
    );
    await connection.begin(session, device, "READY", {
      sessionId: session.sessionId,
      accountId: device.accountId,
      deviceId: device.deviceId,
      handle: device.handle,
    });
  },
};
