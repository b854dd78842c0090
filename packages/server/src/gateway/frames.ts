import {
  type AckFrame,
  ClientFrame,
  type ErrorBody,
  GatewayOp,
  type IdentifyFrame,
  parse,
  type ResumeFrame,
  VollyError,
} from "@volly/protocol";

/** A HEARTBEAT frame from a client. */
export interface HeartbeatFrame {
  op: typeof GatewayOp.HEARTBEAT;
  d: number | null;
}

/** A PRESENCE_UPDATE frame (op 3): this device's status. */
export interface PresenceUpdateFrame {
  op: typeof GatewayOp.PRESENCE_UPDATE;
  d: { status: "online" | "away" };
}

/** A TYPING frame (op 14): the user is typing in a group. */
export interface TypingFrame {
  op: typeof GatewayOp.TYPING;
  d: { groupId: string };
}

/** Any valid client frame, discriminated by `op`. */
export type InboundFrame =
  | HeartbeatFrame
  | IdentifyFrame
  | ResumeFrame
  | AckFrame
  | PresenceUpdateFrame
  | TypingFrame;

const CLIENT_OPS: ReadonlySet<number> = new Set(
  ClientFrame.anyOf.map((schema) => schema.properties.op.const),
);

/**
 * Decodes one WebSocket message into a client frame `{op, d}`.
 *
 * @param data the message bytes
 * @param isBinary true for a binary frame (never valid: frames are JSON text)
 * @throws VollyError VOLLY_E_MALFORMED_FRAME (binary, not JSON, or not an object with an integer `op`),
 *   VOLLY_E_UNKNOWN_OP (an op clients may not send), VOLLY_E_BAD_REQUEST (the frame does not match
 *   the op's schema)
 */
export function decodeFrame(data: Buffer, isBinary: boolean): InboundFrame {
  if (isBinary) throw new VollyError("VOLLY_E_MALFORMED_FRAME", "Frames are JSON text, not binary.");
  let value: unknown;
  try {
    value = JSON.parse(data.toString("utf8"));
  } catch {
    throw new VollyError("VOLLY_E_MALFORMED_FRAME");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new VollyError("VOLLY_E_MALFORMED_FRAME");
  }
  const op = (value as { op?: unknown }).op;
  if (typeof op !== "number" || !Number.isInteger(op)) throw new VollyError("VOLLY_E_MALFORMED_FRAME");
  if (!CLIENT_OPS.has(op)) throw new VollyError("VOLLY_E_UNKNOWN_OP", undefined, { op });
  const schema = ClientFrame.anyOf.find((s) => s.properties.op.const === op);
  return parse(schema ?? ClientFrame, value) as InboundFrame;
}

/** Serialises a server frame. */
export function encodeFrame(frame: { op: number; d: unknown; s?: number; t?: string }): string {
  return JSON.stringify(frame);
}

/** An ERROR frame (op 13) carrying a registry error body. */
export function errorFrame(body: ErrorBody): string {
  return encodeFrame({ op: GatewayOp.ERROR, d: body });
}
