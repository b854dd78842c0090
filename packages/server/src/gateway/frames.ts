import {
  type AckFrame,
  ClientFrame,
  type ErrorBody,
  GatewayOp,
  ID_PATTERN,
  type IdentifyFrame,
  LIMITS,
  parse,
  parseBoundedJson,
  type ResumeFrame,
  type SendFrame,
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
  d: { status: "online" | "idle" | "away" };
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
  | TypingFrame
  | SendFrame;

const CLIENT_OPS: ReadonlySet<number> = new Set(
  ClientFrame.anyOf.map((schema) => schema.properties.op.const),
);

/**
 * Decodes one WebSocket message into a client frame `{op, d}` (docs/protocol.md "Gateway"). The size
 * is checked first, before anything is parsed: frames up to LIMITS.maxInboundFrameBytes are accepted;
 * larger ones (ws only hands over frames up to LIMITS.inboundFrameHardCapBytes — beyond that it
 * closes the connection with 1009 itself) are refused here, so the caller can answer them with an
 * ERROR frame and keep the connection.
 *
 * @param data the message bytes
 * @param isBinary true for a binary frame (never valid: frames are JSON text)
 * @throws VollyError VOLLY_E_FRAME_TOO_LARGE (more than LIMITS.maxInboundFrameBytes bytes; details
 *   `{maxBytes, bytes}`), VOLLY_E_BAD_REQUEST with details `{maxDepth}` (arrays and objects nested
 *   deeper than LIMITS.maxJsonDepth, refused before parsing), VOLLY_E_MALFORMED_FRAME (binary, not
 *   JSON, or not an object with an integer `op`), VOLLY_E_UNKNOWN_OP (an op clients may not send), VOLLY_E_BAD_REQUEST (the frame does not
 *   match the op's schema)
 */
export function decodeFrame(data: Buffer, isBinary: boolean): InboundFrame {
  if (data.length > LIMITS.maxInboundFrameBytes) {
    throw new VollyError(
      "VOLLY_E_FRAME_TOO_LARGE",
      `Gateway frames are limited to ${LIMITS.maxInboundFrameBytes} bytes.`,
      { maxBytes: LIMITS.maxInboundFrameBytes, bytes: data.length },
    );
  }
  if (isBinary) throw new VollyError("VOLLY_E_MALFORMED_FRAME", "Frames are JSON text, not binary.");
  let value: unknown;
  try {
    value = parseBoundedJson(data.toString("utf8"), LIMITS.maxJsonDepth);
  } catch (error) {
    if (error instanceof VollyError) throw error; // nested deeper than LIMITS.maxJsonDepth
    throw new VollyError("VOLLY_E_MALFORMED_FRAME");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new VollyError("VOLLY_E_MALFORMED_FRAME");
  }
  const op = (value as { op?: unknown }).op;
  if (typeof op !== "number" || !Number.isInteger(op)) throw new VollyError("VOLLY_E_MALFORMED_FRAME");
  if (!CLIENT_OPS.has(op)) throw new VollyError("VOLLY_E_UNKNOWN_OP", undefined, { op });
  const schema = ClientFrame.anyOf.find((s) => s.properties.op.const === op);
  try {
    return parse(schema ?? ClientFrame, value) as InboundFrame;
  } catch (error) {
    // A SEND is answered by message id: say which one was refused when the frame names one.
    const messageId =
      op === GatewayOp.SEND ? (value as { d?: { messageId?: unknown } }).d?.messageId : undefined;
    if (error instanceof VollyError && typeof messageId === "string" && ID_RE.test(messageId)) {
      throw new VollyError(error.code, error.message, { ...error.details, messageId });
    }
    throw error;
  }
}

const ID_RE = new RegExp(ID_PATTERN);

/** JSON of dispatch payloads already serialised, so one shared by many connections is serialised once. */
const payloadJson = new WeakMap<object, string>();

/**
 * Serialises a DISPATCH frame `{op:0,s,t,d}`. A GROUP_MESSAGE payload's JSON is cached per object
 * (log entries are never mutated): one fanned out to every member is serialised once, not once per
 * connection.
 */
export function encodeDispatch(s: number, t: string, d: object): string {
  let json = t === "GROUP_MESSAGE" ? payloadJson.get(d) : undefined;
  if (json === undefined) {
    json = JSON.stringify(d);
    if (t === "GROUP_MESSAGE") payloadJson.set(d, json);
  }
  return `{"op":0,"s":${s},"t":${JSON.stringify(t)},"d":${json}}`;
}

/** Serialises a server frame. */
export function encodeFrame(frame: { op: number; d: unknown; s?: number; t?: string }): string {
  return JSON.stringify(frame);
}

/** An ERROR frame (op 13) carrying a registry error body. */
export function errorFrame(body: ErrorBody): string {
  return encodeFrame({ op: GatewayOp.ERROR, d: body });
}
