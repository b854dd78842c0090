import { GatewayOp } from "@volly/protocol";
import { ack } from "./ack.js";
import { heartbeat } from "./heartbeat.js";
import { identify } from "./identify.js";
import type { OpHandlers } from "./op-handler.js";
import { presenceUpdate } from "./presence-update.js";
import { resume } from "./resume.js";
import { send } from "./send.js";
import { typing } from "./typing.js";

/**
 * The handler of every client op. A new op is a new handler file and an entry here; the
 * {@link OpHandlers} type makes a missing one a compile error.
 */
export const OP_HANDLERS: OpHandlers = {
  [GatewayOp.HEARTBEAT]: heartbeat,
  [GatewayOp.IDENTIFY]: identify,
  [GatewayOp.PRESENCE_UPDATE]: presenceUpdate,
  [GatewayOp.RESUME]: resume,
  [GatewayOp.ACK]: ack,
  [GatewayOp.TYPING]: typing,
  [GatewayOp.SEND]: send,
};
