import { GatewayOp } from "@volly/protocol";
import { encodeFrame } from "../frames.js";
import type { OpHandler } from "./op-handler.js";

const HEARTBEAT_ACK = encodeFrame({ op: GatewayOp.HEARTBEAT_ACK, d: null });

/**
 * HEARTBEAT (op 1): answered at once with HEARTBEAT_ACK. (Every frame counts as a sign of life for
 * the heartbeat deadline; this one only asks for the answer.)
 */
export const heartbeat: OpHandler<typeof GatewayOp.HEARTBEAT> = {
  serial: false,
  handle(_frame, connection) {
    connection.send(HEARTBEAT_ACK);
  },
};
