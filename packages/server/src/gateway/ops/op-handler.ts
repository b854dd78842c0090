import type { ConnectionContext } from "../connection-context.js";
import type { InboundFrame } from "../frames.js";

/** Every opcode a client may send (docs/protocol.md "Gateway"). */
export type ClientOp = InboundFrame["op"];

/** The decoded frame of op `K`. */
export type FrameOf<K extends ClientOp> = Extract<InboundFrame, { op: K }>;

/** How one client op is handled. */
export interface OpHandler<K extends ClientOp> {
  /**
   * True: the frame is handled in the connection's serial queue, after the work of every earlier
   * queued frame and dispatch (authentication, ACKs, presence, typing). False: at once, on arrival
   * (heartbeats, and SENDs, which are ordered per group by the connection's send lanes instead).
   */
  readonly serial: boolean;
  /**
   * Handles one frame. A thrown (or rejected) VollyError is answered with an ERROR frame and the
   * connection stays open; anything else is logged and answered with VOLLY_E_INTERNAL.
   *
   * @param frame the frame, already validated against op `K`'s schema
   * @param connection the connection's state and operations
   * @param frameBytes the frame's size on the wire (bytes)
   */
  handle(frame: FrameOf<K>, connection: ConnectionContext, frameBytes: number): void | Promise<void>;
}

/** One handler per client op; TypeScript refuses the table when an op is missing. */
export type OpHandlers = { readonly [K in ClientOp]: OpHandler<K> };
