/**
 * Every message the bus carries, declared once as a TypeBox schema; the TypeScript types are derived
 * from the schemas (`Static<>`), like every wire type in `@volly/protocol`. Bus messages are
 * server-to-server (nodes of one deployment), so they live here rather than in the protocol.
 *
 * The wire form is plain JSON: an object with a `type` and exactly the fields of that type (no
 * others). Strings are ids and handles of 1 to {@link MAX_BUS_TEXT} characters; sequence numbers and
 * times are safe non-negative integers. The in-process bus hands these objects over as they are; the
 * Redis bus serialises them with `JSON.stringify` and checks what it receives against these schemas
 * (see `parse-bus-message.ts`).
 */
import { type Static, type TSchema, Type } from "@sinclair/typebox";
import { DISPATCH_EVENTS, LIMITS } from "@volly/protocol";

/** Longest string field a bus message may carry (ids, handles, names), in UTF-16 code units. */
export const MAX_BUS_TEXT = 256;

/** Most views one {@link PresenceRefreshMessage} carries. */
export const PRESENCE_REFRESH_MAX_VIEWS = 500;

const Text = Type.String({ minLength: 1, maxLength: MAX_BUS_TEXT });
/** A log sequence number or a time (ms): a safe non-negative integer. */
const Counter = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const exact = { additionalProperties: false } as const;

/**
 * The GROUP_MESSAGE dispatch payload as a relayed entry: the protocol's schema, without the extra
 * fields that schema tolerates (an entry relayed to clients carries exactly its fields).
 */
const RelayedEntry = Type.Object(DISPATCH_EVENTS.GROUP_MESSAGE.properties, exact);

/**
 * A group's log grew: entries up to `seq` are durable (on the group's channel). `entry` may only
 * accompany an application message, and must be that entry (same group and seq) — a rule across
 * fields that `parseBusMessage` checks after the schema.
 */
export const GroupAppendedMessage = Type.Object(
  {
    type: Type.Literal("group-appended"),
    groupId: Text,
    seq: Counter,
    /** Kind of the entry at `seq`; commits and departures change who is in the group. */
    kind: Type.Union([Type.Literal("application"), Type.Literal("commit"), Type.Literal("departure")]),
    /**
     * The entry at `seq` as dispatched (GROUP_MESSAGE payload), for application messages: a
     * receiver that has dispatched everything up to `seq - 1` sends it as is (one serialisation for
     * all of them) instead of reading the store.
     */
    entry: Type.Optional(RelayedEntry),
  },
  exact,
);
export type GroupAppendedMessage = Static<typeof GroupAppendedMessage>;

/** A Welcome was stored in a device's inbox (on the device's channel). */
export const WelcomeMessage = Type.Object(
  { type: Type.Literal("welcome"), deviceId: Text, welcomeId: Text, groupId: Text },
  exact,
);
export type WelcomeMessage = Static<typeof WelcomeMessage>;

/**
 * A device became a member of a group without a Welcome — it created the group — from `joinedSeq`
 * on (on the device's channel), so its live sessions start following the group.
 */
export const GroupJoinedMessage = Type.Object(
  { type: Type.Literal("group-joined"), deviceId: Text, groupId: Text, joinedSeq: Counter },
  exact,
);
export type GroupJoinedMessage = Static<typeof GroupJoinedMessage>;

/**
 * An account's chosen status (PUT /v1/presence/status) as carried between nodes; the latest `setAt`
 * wins. The custom text may have expired: receivers compare `until` with their clock.
 */
const ChosenStatus = Type.Object(
  {
    status: Type.Union([
      Type.Literal("online"),
      Type.Literal("idle"),
      Type.Literal("dnd"),
      Type.Literal("invisible"),
    ]),
    text: Type.Optional(Text),
    until: Type.Optional(Counter),
    setAt: Counter,
  },
  exact,
);

/** A device activity on the bus; "away" is what nodes before statuses sent for "idle". */
const Activity = Type.Union([Type.Literal("online"), Type.Literal("idle"), Type.Literal("away")]);

/**
 * One node's view of an account's presence (on the presence channel): the activity derived from that
 * node's gateway connections of the account (online if any is online, idle if all are idle) and the
 * account's chosen status as that node knows it. Receivers combine the views of every node: online
 * if any node says online, idle if all that say anything say idle, offline when none does; the
 * chosen status with the latest `setAt` wins.
 */
export const PresenceMessage = Type.Object(
  {
    type: Type.Literal("presence"),
    /** The publishing node (random per process). */
    nodeId: Text,
    accountId: Text,
    handle: Text,
    /** "offline" when the node has no connection of the account left. */
    status: Type.Union([Activity, Type.Literal("offline")]),
    chosen: Type.Optional(ChosenStatus),
  },
  exact,
);
export type PresenceMessage = Static<typeof PresenceMessage>;

/** One account's view in a {@link PresenceRefreshMessage}: never "offline" (a refresh only keeps views alive). */
const RefreshedView = Type.Object(
  { accountId: Text, handle: Text, status: Activity, chosen: Type.Optional(ChosenStatus) },
  exact,
);

/**
 * An account set its status (on the presence channel; published by the node that stored it): every
 * node updates what it knows and tells the account's watchers.
 */
export const PresenceStatusMessage = Type.Object(
  { type: Type.Literal("presence-status"), accountId: Text, handle: Text, chosen: ChosenStatus },
  exact,
);
export type PresenceStatusMessage = Static<typeof PresenceStatusMessage>;

/**
 * One node's periodic republication of its non-offline views (on the presence channel): the same as
 * one {@link PresenceMessage} per view, batched so that a node holding N accounts sends
 * ⌈N / {@link PRESENCE_REFRESH_MAX_VIEWS}⌉ messages per refresh interval instead of N.
 */
export const PresenceRefreshMessage = Type.Object(
  {
    type: Type.Literal("presence-refresh"),
    /** The publishing node (random per process). */
    nodeId: Text,
    /** 1 to {@link PRESENCE_REFRESH_MAX_VIEWS} views. */
    views: Type.Array(RefreshedView, { minItems: 1, maxItems: PRESENCE_REFRESH_MAX_VIEWS }),
  },
  exact,
);
export type PresenceRefreshMessage = Static<typeof PresenceRefreshMessage>;

/** A device is typing in a group (on the group's channel; ephemeral, never stored). */
export const TypingMessage = Type.Object(
  {
    type: Type.Literal("typing"),
    groupId: Text,
    accountId: Text,
    handle: Text,
    deviceId: Text,
    /** When the server accepted the TYPING frame (ms since the Unix epoch). */
    at: Counter,
  },
  exact,
);
export type TypingMessage = Static<typeof TypingMessage>;

/**
 * An ephemeral MLS application message for a group's connected member devices (on the group's
 * channel; POST /v1/groups/:groupId/ephemeral): relayed as EPHEMERAL_MESSAGE, never stored. The
 * ciphertext is end-to-end encrypted; the sender's device does not get it back.
 */
export const EphemeralBusMessage = Type.Object(
  {
    type: Type.Literal("ephemeral"),
    groupId: Text,
    senderDeviceId: Text,
    senderAccountId: Text,
    senderHandle: Text,
    epoch: Counter,
    ciphertext: Type.String({ pattern: "^[A-Za-z0-9_-]*$", maxLength: LIMITS.maxEphemeralChars }),
  },
  exact,
);
export type EphemeralBusMessage = Static<typeof EphemeralBusMessage>;

/**
 * A device link of the device's account was claimed (on the channel of each of the account's
 * devices): its live sessions dispatch DEVICE_LINK_CLAIMED so the creator can check the proof.
 */
export const DeviceLinkClaimedMessage = Type.Object(
  {
    type: Type.Literal("device-link-claimed"),
    deviceId: Text,
    linkId: Text,
    signaturePublicKey: Text,
    name: Text,
    proof: Text,
  },
  exact,
);
export type DeviceLinkClaimedMessage = Static<typeof DeviceLinkClaimedMessage>;

/**
 * A community the device's account belongs to (or just left) changed — structure, roles, members or
 * the account's own access (on the channel of each device of each affected account): its live
 * sessions dispatch COMMUNITY_UPDATE so the client reads the community again.
 */
export const CommunityUpdatedMessage = Type.Object(
  { type: Type.Literal("community-updated"), deviceId: Text, communityId: Text },
  exact,
);
export type CommunityUpdatedMessage = Static<typeof CommunityUpdatedMessage>;

/** The device was revoked (on its channel): its live gateway connections close with 4010. */
export const DeviceRevokedMessage = Type.Object(
  { type: Type.Literal("device-revoked"), deviceId: Text },
  exact,
);
export type DeviceRevokedMessage = Static<typeof DeviceRevokedMessage>;

/**
 * An API key of the device's account was revoked or rotated (on its channel): gateway connections
 * made with it close now (revoked) or when its new expiry (ms) comes (the end of a rotation overlap).
 */
export const ApiKeyChangedMessage = Type.Object(
  {
    type: Type.Literal("api-key-changed"),
    deviceId: Text,
    apiKeyId: Text,
    revoked: Type.Boolean(),
    expiresAt: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  exact,
);
export type ApiKeyChangedMessage = Static<typeof ApiKeyChangedMessage>;

/** A voice state as carried between nodes: the public state plus the SFU participant it holds. */
const VoiceRecordBus = Type.Object(
  {
    communityId: Text,
    channelId: Text,
    accountId: Text,
    deviceId: Text,
    selfMute: Type.Boolean(),
    selfDeaf: Type.Boolean(),
    serverMute: Type.Boolean(),
    serverDeaf: Type.Boolean(),
    joinedAt: Counter,
    /** The Janus participant id handed to the device. */
    participantId: Counter,
    /** The device's join token on the room's access list. */
    token: Text,
  },
  exact,
);
export type VoiceRecordBus = Static<typeof VoiceRecordBus>;

/**
 * An account's voice state in a community changed (on the voice channel of the bus, every node):
 * `record` is the new one, absent when it left. Every node keeps the same map (`services/voice/`).
 */
export const VoiceSyncMessage = Type.Object(
  {
    type: Type.Literal("voice-sync"),
    nodeId: Text,
    communityId: Text,
    accountId: Text,
    record: Type.Optional(VoiceRecordBus),
  },
  exact,
);
export type VoiceSyncMessage = Static<typeof VoiceSyncMessage>;

/** A voice channel's Janus room was created (`room` + `secret`) or destroyed (neither) (voice channel of the bus). */
export const VoiceRoomMessage = Type.Object(
  {
    type: Type.Literal("voice-room"),
    nodeId: Text,
    channelId: Text,
    room: Type.Optional(Counter),
    secret: Type.Optional(Text),
  },
  exact,
);
export type VoiceRoomMessage = Static<typeof VoiceRoomMessage>;

/** A voice state to dispatch as VOICE_STATE_UPDATE (on the channel of a device that may view the channel). */
export const VoiceStateMessage = Type.Object(
  {
    type: Type.Literal("voice-state"),
    deviceId: Text,
    communityId: Text,
    accountId: Text,
    previousChannelId: Type.Optional(Text),
    state: Type.Optional(
      Type.Object(
        {
          channelId: Text,
          accountId: Text,
          deviceId: Text,
          selfMute: Type.Boolean(),
          selfDeaf: Type.Boolean(),
          serverMute: Type.Boolean(),
          serverDeaf: Type.Boolean(),
          joinedAt: Counter,
        },
        exact,
      ),
    ),
  },
  exact,
);
export type VoiceStateMessage = Static<typeof VoiceStateMessage>;

/** Every message the bus carries. */
export const BusMessage = Type.Union([
  GroupAppendedMessage,
  WelcomeMessage,
  GroupJoinedMessage,
  PresenceMessage,
  PresenceRefreshMessage,
  PresenceStatusMessage,
  TypingMessage,
  EphemeralBusMessage,
  DeviceLinkClaimedMessage,
  CommunityUpdatedMessage,
  DeviceRevokedMessage,
  ApiKeyChangedMessage,
  VoiceSyncMessage,
  VoiceRoomMessage,
  VoiceStateMessage,
]);
export type BusMessage = Static<typeof BusMessage>;

/**
 * The schema of each message type, by its `type` (a new kind of bus message is one more schema in
 * {@link BusMessage} and one more entry here; the compiler checks each entry's `type`).
 */
export const BUS_MESSAGES = {
  "group-appended": GroupAppendedMessage,
  welcome: WelcomeMessage,
  "group-joined": GroupJoinedMessage,
  presence: PresenceMessage,
  "presence-refresh": PresenceRefreshMessage,
  "presence-status": PresenceStatusMessage,
  typing: TypingMessage,
  ephemeral: EphemeralBusMessage,
  "device-link-claimed": DeviceLinkClaimedMessage,
  "community-updated": CommunityUpdatedMessage,
  "device-revoked": DeviceRevokedMessage,
  "api-key-changed": ApiKeyChangedMessage,
  "voice-sync": VoiceSyncMessage,
  "voice-room": VoiceRoomMessage,
  "voice-state": VoiceStateMessage,
} as const satisfies { [K in BusMessage["type"]]: TSchema & { static: { type: K } } };
