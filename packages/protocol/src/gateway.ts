import { type Static, Type } from "@sinclair/typebox";
import { ApiKeyText } from "./api-keys.js";
import { Base64Url, ErrorResponse, Handle, Id, SignatureB64, Timestamp } from "./common.js";
import { CommunityUpdateEvent } from "./communities.js";
import { DeviceLinkClaimedEvent } from "./device-links.js";
import { EphemeralMessageEvent } from "./ephemeral.js";
import { LIMITS } from "./limits.js";
import { CustomStatusText, PresenceState } from "./presence.js";
import { SendMessageBody } from "./rest.js";
import { VoiceStateUpdateEvent } from "./voice.js";

/**
 * Gateway opcodes, in the style of Discord's gateway (same numbers where the meaning is the same).
 * Every frame is JSON `{op, d, s?, t?}`; `s` and `t` are set on DISPATCH only.
 */
export const GatewayOp = {
  DISPATCH: 0,
  HEARTBEAT: 1,
  IDENTIFY: 2,
  PRESENCE_UPDATE: 3,
  RESUME: 6,
  RECONNECT: 7,
  INVALID_SESSION: 9,
  HELLO: 10,
  HEARTBEAT_ACK: 11,
  ACK: 12,
  ERROR: 13,
  TYPING: 14,
  SEND: 15,
  SEND_ACK: 16,
} as const;
export type GatewayOp = (typeof GatewayOp)[keyof typeof GatewayOp];

// ---- client → server ----

export const HeartbeatFrame = Type.Object(
  { op: Type.Literal(GatewayOp.HEARTBEAT), d: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]) },
  { additionalProperties: false, description: "keep-alive; d is the last dispatch seq the client saw" },
);

export const IdentifyFrame = Type.Object(
  {
    op: Type.Literal(GatewayOp.IDENTIFY),
    d: Type.Object(
      {
        deviceId: Id,
        signature: SignatureB64,
        protocolVersion: Type.Integer({ minimum: 1 }),
        apiKey: Type.Optional(ApiKeyText),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false, description: "authenticate: sign signingInput.identify(HELLO nonce)" },
);

export const ResumeFrame = Type.Object(
  {
    op: Type.Literal(GatewayOp.RESUME),
    d: Type.Object(
      {
        deviceId: Id,
        sessionId: Id,
        seq: Type.Integer({ minimum: 0 }),
        signature: SignatureB64,
        apiKey: Type.Optional(ApiKeyText),
      },
      { additionalProperties: false },
    ),
  },
  {
    additionalProperties: false,
    description: "re-attach to a session after a drop; signs the new HELLO nonce",
  },
);

export const AckFrame = Type.Object(
  {
    op: Type.Literal(GatewayOp.ACK),
    d: Type.Object(
      {
        cursors: Type.Array(
          Type.Object({ groupId: Id, seq: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
          { maxItems: 1000 },
        ),
        welcomeIds: Type.Array(Id, { maxItems: 1000 }),
      },
      { additionalProperties: false },
    ),
  },
  {
    additionalProperties: false,
    description: "delivery ack: the device has durably processed the group log up to seq, and these welcomes",
  },
);

/**
 * What a device says about its user's activity: "online" (in use) or "idle". "away" is the name
 * protocol 1 clients used for "idle" and is still accepted as its alias. The account's chosen
 * status (dnd, invisible, custom text) is set with `PUT /v1/presence/status`, not here.
 */
export const PresenceStatus = Type.Union([
  Type.Literal("online"),
  Type.Literal("idle"),
  Type.Literal("away"),
]);

export const PresenceUpdateFrame = Type.Object(
  {
    op: Type.Literal(GatewayOp.PRESENCE_UPDATE),
    d: Type.Object({ status: PresenceStatus }, { additionalProperties: false }),
  },
  {
    additionalProperties: false,
    description:
      "set this device's activity (online or idle; away = idle); the account is active if any device is",
  },
);

export const TypingFrame = Type.Object(
  {
    op: Type.Literal(GatewayOp.TYPING),
    d: Type.Object({ groupId: Id }, { additionalProperties: false }),
  },
  {
    additionalProperties: false,
    description: "the user is typing in a group (ephemeral; relayed to members' live sessions, never stored)",
  },
);

export const SendFrame = Type.Object(
  {
    op: Type.Literal(GatewayOp.SEND),
    d: Type.Object(
      { groupId: Id, ...SendMessageBody.properties },
      { additionalProperties: false, description: "the body of POST /v1/groups/{groupId}/messages" },
    ),
  },
  {
    additionalProperties: false,
    description:
      "append an application message to a group's log over the gateway (after READY); answered by " +
      "SEND_ACK once it is durable, or by ERROR with details.messageId",
  },
);

/** Any frame a client may send. */
export const ClientFrame = Type.Union([
  HeartbeatFrame,
  IdentifyFrame,
  ResumeFrame,
  AckFrame,
  PresenceUpdateFrame,
  TypingFrame,
  SendFrame,
]);
export type ClientFrame = Static<typeof ClientFrame>;
export type IdentifyFrame = Static<typeof IdentifyFrame>;
export type ResumeFrame = Static<typeof ResumeFrame>;
export type AckFrame = Static<typeof AckFrame>;
export type SendFrame = Static<typeof SendFrame>;

// ---- server → client ----

export const HelloData = Type.Object({
  heartbeatIntervalMs: Type.Integer({ minimum: 1 }),
  nonce: Id,
  protocolVersion: Type.Integer(),
  serverVersion: Type.String(),
});
export type HelloData = Static<typeof HelloData>;

export const ReadyEvent = Type.Object({ sessionId: Id, accountId: Id, deviceId: Id, handle: Handle });
export type ReadyEvent = Static<typeof ReadyEvent>;

export const ResumedEvent = Type.Object({ sessionId: Id });

/** One entry of a group's ordered log, dispatched to every member device except its sender. */
export const GroupMessageEvent = Type.Object({
  groupId: Id,
  seq: Type.Integer({ minimum: 1 }),
  kind: Type.Union([Type.Literal("commit"), Type.Literal("application"), Type.Literal("departure")], {
    description:
      "departure: the sender device left the group (empty payload); a remaining member commits its Remove",
  }),
  messageId: Id,
  epoch: Type.Integer({ minimum: 0 }),
  senderDeviceId: Id,
  senderAccountId: Id,
  senderHandle: Handle,
  payload: Base64Url(LIMITS.maxOutboundFrameBytes, "MLSMessage bytes"),
  createdAt: Timestamp,
});
export type GroupMessageEvent = Static<typeof GroupMessageEvent>;

/** A Welcome for this device (RFC 9420 §12.4.3.1), with the ratchet tree served out of band. */
export const WelcomeEvent = Type.Object({
  welcomeId: Id,
  groupId: Id,
  epoch: Type.Integer({ minimum: 1 }),
  seq: Type.Integer({ minimum: 1, description: "log seq of the commit that added this device" }),
  senderDeviceId: Id,
  senderAccountId: Id,
  senderHandle: Handle,
  welcome: Base64Url(LIMITS.maxOutboundFrameBytes, "MLSMessage with wireformat mls_welcome"),
  ratchetTree: Base64Url(LIMITS.maxOutboundFrameBytes, "ratchet tree of the new epoch"),
  createdAt: Timestamp,
});
export type WelcomeEvent = Static<typeof WelcomeEvent>;

/** Sent once after READY/RESUMED when the backlog (everything past the device's cursors) is dispatched. */
export const SyncedEvent = Type.Object({ backlog: Type.Integer({ minimum: 0 }) });
export type SyncedEvent = Static<typeof SyncedEvent>;

/**
 * An account's presence as seen by accounts that share a group with it, and by its own devices.
 * Offline when none of its devices is connected; else its chosen status (`PUT /v1/presence/status`):
 * dnd, idle, invisible (sent as "offline", without text, to everyone but the account itself), or
 * online — shown "idle" when every connected device is idle. Sent after READY for the account
 * itself and every peer that is not offline, then on every change (an expired custom text counts).
 */
export const PresenceEvent = Type.Object({
  accountId: Id,
  handle: Handle,
  status: PresenceState,
  text: Type.Optional(CustomStatusText),
  until: Type.Optional(Type.Integer({ minimum: 0, description: "when the custom text expires" })),
});
export type PresenceEvent = Static<typeof PresenceEvent>;

/** Someone started typing in a group; clients show it for ~6 s unless renewed. */
export const TypingStartEvent = Type.Object({
  groupId: Id,
  accountId: Id,
  handle: Handle,
  deviceId: Id,
  at: Timestamp,
});
export type TypingStartEvent = Static<typeof TypingStartEvent>;

/** Names and payload schemas of every DISPATCH event. */
export const DISPATCH_EVENTS = {
  READY: ReadyEvent,
  RESUMED: ResumedEvent,
  GROUP_MESSAGE: GroupMessageEvent,
  WELCOME: WelcomeEvent,
  SYNCED: SyncedEvent,
  PRESENCE_UPDATE: PresenceEvent,
  TYPING_START: TypingStartEvent,
  DEVICE_LINK_CLAIMED: DeviceLinkClaimedEvent,
  COMMUNITY_UPDATE: CommunityUpdateEvent,
  EPHEMERAL_MESSAGE: EphemeralMessageEvent,
  VOICE_STATE_UPDATE: VoiceStateUpdateEvent,
} as const;
export type DispatchEventName = keyof typeof DISPATCH_EVENTS;
export type DispatchPayload<T extends DispatchEventName> = Static<(typeof DISPATCH_EVENTS)[T]>;

export const HelloFrame = Type.Object({ op: Type.Literal(GatewayOp.HELLO), d: HelloData });
export const HeartbeatAckFrame = Type.Object({ op: Type.Literal(GatewayOp.HEARTBEAT_ACK), d: Type.Null() });
export const InvalidSessionFrame = Type.Object({
  op: Type.Literal(GatewayOp.INVALID_SESSION),
  d: Type.Object({ resumable: Type.Boolean() }),
});
export const ReconnectFrame = Type.Object({ op: Type.Literal(GatewayOp.RECONNECT), d: Type.Null() });
export const ErrorFrame = Type.Object({ op: Type.Literal(GatewayOp.ERROR), d: ErrorResponse });
/** The answer to a SEND: the message is durable at `seq` of the group's log. */
export const SendAckData = Type.Object({
  groupId: Id,
  messageId: Id,
  seq: Type.Integer({ minimum: 1 }),
  duplicate: Type.Boolean({ description: "true when this message id was already stored (idempotent retry)" }),
});
export type SendAckData = Static<typeof SendAckData>;
export const SendAckFrame = Type.Object({ op: Type.Literal(GatewayOp.SEND_ACK), d: SendAckData });
export const DispatchFrame = Type.Object({
  op: Type.Literal(GatewayOp.DISPATCH),
  s: Type.Integer({ minimum: 1 }),
  t: Type.Union(Object.keys(DISPATCH_EVENTS).map((k) => Type.Literal(k))),
  d: Type.Unknown(),
});

/** Any frame the server sends. Each DISPATCH's `d` matches DISPATCH_EVENTS[t]. */
export const ServerFrame = Type.Union([
  HelloFrame,
  HeartbeatAckFrame,
  InvalidSessionFrame,
  ReconnectFrame,
  ErrorFrame,
  SendAckFrame,
  DispatchFrame,
]);
export type ServerFrame = Static<typeof ServerFrame>;
