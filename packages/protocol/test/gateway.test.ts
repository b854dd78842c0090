import { describe, expect, it } from "vitest";
import {
  ClientFrame,
  DISPATCH_EVENTS,
  GatewayOp,
  matches,
  newId,
  parse,
  ServerFrame,
  VollyError,
} from "../src/index.js";

const deviceId = newId();
const sessionId = newId();
const groupId = newId();
const signature = "S".repeat(86);

/** One valid example of every client frame, keyed by opcode name. */
const VALID: Record<string, unknown> = {
  HEARTBEAT: { op: GatewayOp.HEARTBEAT, d: 41 },
  IDENTIFY: { op: GatewayOp.IDENTIFY, d: { deviceId, signature, protocolVersion: 1 } },
  RESUME: { op: GatewayOp.RESUME, d: { deviceId, sessionId, seq: 17, signature } },
  ACK: { op: GatewayOp.ACK, d: { cursors: [{ groupId, seq: 3 }], welcomeIds: [newId()] } },
  PRESENCE_UPDATE: { op: GatewayOp.PRESENCE_UPDATE, d: { status: "away" } },
  TYPING: { op: GatewayOp.TYPING, d: { groupId } },
  SEND: { op: GatewayOp.SEND, d: { groupId, messageId: newId(), epoch: 2, ciphertext: "AAEC" } },
};

/** Frames that are almost valid, each with one thing wrong. */
const NEAR_MISSES: Array<[string, unknown]> = [
  ["HEARTBEAT with a negative seq", { op: GatewayOp.HEARTBEAT, d: -1 }],
  ["HEARTBEAT with a fractional seq", { op: GatewayOp.HEARTBEAT, d: 1.5 }],
  ["HEARTBEAT with a string seq", { op: GatewayOp.HEARTBEAT, d: "41" }],
  ["HEARTBEAT without d", { op: GatewayOp.HEARTBEAT }],
  ["HEARTBEAT with s", { op: GatewayOp.HEARTBEAT, d: 1, s: 1 }],
  ["op as a string", { op: "1", d: 1 }],
  ["unknown op", { op: 99, d: null }],
  ["PRESENCE_UPDATE offline (derived, not settable)", { op: 3, d: { status: "offline" } }],
  ["TYPING without a group", { op: 14, d: {} }],
  ["server-only op HELLO", { op: GatewayOp.HELLO, d: null }],
  [
    "IDENTIFY with a short signature",
    { op: 2, d: { deviceId, signature: "S".repeat(85), protocolVersion: 1 } },
  ],
  ["IDENTIFY with a bad device id", { op: 2, d: { deviceId: "short", signature, protocolVersion: 1 } }],
  ["IDENTIFY with protocolVersion 0", { op: 2, d: { deviceId, signature, protocolVersion: 0 } }],
  ["IDENTIFY without protocolVersion", { op: 2, d: { deviceId, signature } }],
  ["IDENTIFY with an extra field", { op: 2, d: { deviceId, signature, protocolVersion: 1, token: "x" } }],
  [
    "IDENTIFY with the op of RESUME",
    { op: GatewayOp.RESUME, d: { deviceId, signature, protocolVersion: 1 } },
  ],
  ["RESUME without sessionId", { op: 6, d: { deviceId, seq: 17, signature } }],
  ["RESUME with a negative seq", { op: 6, d: { deviceId, sessionId, seq: -1, signature } }],
  [
    "RESUME with base64 '+' in the signature",
    { op: 6, d: { deviceId, sessionId, seq: 1, signature: `+${"S".repeat(85)}` } },
  ],
  ["SEND without a group", { op: 15, d: { messageId: newId(), epoch: 1, ciphertext: "AA" } }],
  ["SEND with a negative epoch", { op: 15, d: { groupId, messageId: newId(), epoch: -1, ciphertext: "AA" } }],
  [
    "SEND with base64 '+' in the ciphertext",
    { op: 15, d: { groupId, messageId: newId(), epoch: 1, ciphertext: "A+" } },
  ],
  [
    "SEND with an extra field",
    { op: 15, d: { groupId, messageId: newId(), epoch: 1, ciphertext: "AA", senderDeviceId: deviceId } },
  ],
  [
    "server-only op SEND_ACK",
    { op: GatewayOp.SEND_ACK, d: { groupId, messageId: newId(), seq: 1, duplicate: false } },
  ],
  ["ACK with seq 0", { op: 12, d: { cursors: [{ groupId, seq: 0 }], welcomeIds: [] } }],
  ["ACK without welcomeIds", { op: 12, d: { cursors: [] } }],
  [
    "ACK with 1001 welcome ids",
    { op: 12, d: { cursors: [], welcomeIds: Array.from({ length: 1001 }, newId) } },
  ],
  ["ACK with an extra top-level field", { op: 12, d: { cursors: [], welcomeIds: [] }, t: "ACK" }],
  ["null", null],
  ["an array", [1, null]],
];

describe("ClientFrame", () => {
  it("has exactly one variant per client opcode, and an example of each", () => {
    const ops = ClientFrame.anyOf.map((frame) => frame.properties.op.const as number).sort((a, b) => a - b);
    expect(ops).toEqual([
      GatewayOp.HEARTBEAT,
      GatewayOp.IDENTIFY,
      GatewayOp.PRESENCE_UPDATE,
      GatewayOp.RESUME,
      GatewayOp.ACK,
      GatewayOp.TYPING,
      GatewayOp.SEND,
    ]);
    expect(Object.keys(VALID).map((name) => GatewayOp[name as keyof typeof GatewayOp])).toEqual(
      expect.arrayContaining(ops),
    );
    expect(Object.keys(VALID)).toHaveLength(ops.length);
  });

  it.each(Object.entries(VALID))("accepts a valid %s frame", (_name, frame) => {
    expect(matches(ClientFrame, frame)).toBe(true);
    expect(parse(ClientFrame, frame)).toBe(frame);
  });

  it("accepts HEARTBEAT with d null (no dispatch seen yet) and empty ACKs", () => {
    expect(matches(ClientFrame, { op: GatewayOp.HEARTBEAT, d: null })).toBe(true);
    expect(matches(ClientFrame, { op: GatewayOp.ACK, d: { cursors: [], welcomeIds: [] } })).toBe(true);
    expect(
      matches(ClientFrame, { op: GatewayOp.RESUME, d: { deviceId, sessionId, seq: 0, signature } }),
    ).toBe(true);
  });

  it("rejects ACK cursors with extra properties", () => {
    const d = { cursors: [{ groupId: deviceId, seq: 1, epoch: 3 }], welcomeIds: [] };
    expect(matches(ClientFrame, { op: GatewayOp.ACK, d })).toBe(false);
  });

  it.each(NEAR_MISSES)("rejects %s", (_why, frame) => {
    expect(matches(ClientFrame, frame)).toBe(false);
    expect(() => parse(ClientFrame, frame)).toThrow(VollyError);
  });
});

describe("ServerFrame", () => {
  it("accepts HELLO, HEARTBEAT_ACK, INVALID_SESSION, RECONNECT, ERROR, SEND_ACK and DISPATCH frames", () => {
    const frames = [
      {
        op: GatewayOp.HELLO,
        d: { heartbeatIntervalMs: 30_000, nonce: newId(), protocolVersion: 1, serverVersion: "0.1.0" },
      },
      { op: GatewayOp.HEARTBEAT_ACK, d: null },
      { op: GatewayOp.INVALID_SESSION, d: { resumable: false } },
      { op: GatewayOp.RECONNECT, d: null },
      { op: GatewayOp.ERROR, d: { code: "VOLLY_E_BAD_REQUEST", message: "no" } },
      { op: GatewayOp.SEND_ACK, d: { groupId, messageId: newId(), seq: 4, duplicate: false } },
      { op: GatewayOp.DISPATCH, s: 1, t: "SYNCED", d: { backlog: 0 } },
    ];
    for (const frame of frames) expect(matches(ServerFrame, frame)).toBe(true);
    expect(matches(ServerFrame, { op: GatewayOp.DISPATCH, s: 0, t: "SYNCED", d: {} })).toBe(false);
    expect(matches(ServerFrame, { op: GatewayOp.DISPATCH, s: 1, t: "TYPING", d: {} })).toBe(false);
  });

  it("lists every dispatch event name as a DISPATCH t", () => {
    const dispatch = ServerFrame.anyOf.find((frame) => frame.properties.op.const === GatewayOp.DISPATCH);
    expect(dispatch).toBeDefined();
    for (const t of Object.keys(DISPATCH_EVENTS)) {
      expect(matches(ServerFrame, { op: GatewayOp.DISPATCH, s: 5, t, d: null })).toBe(true);
    }
  });

  it("validates dispatch payloads against DISPATCH_EVENTS", () => {
    const ready = { sessionId, accountId: newId(), deviceId, handle: "alice" };
    expect(matches(DISPATCH_EVENTS.READY, ready)).toBe(true);
    expect(matches(DISPATCH_EVENTS.READY, { ...ready, handle: "Alice" })).toBe(false);
    expect(matches(DISPATCH_EVENTS.SYNCED, { backlog: -1 })).toBe(false);
  });
});

describe("GatewayOp", () => {
  it("has unique opcode numbers", () => {
    const values = Object.values(GatewayOp);
    expect(new Set(values).size).toBe(values.length);
  });
});
