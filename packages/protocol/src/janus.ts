import { type Static, Type } from "@sinclair/typebox";

/**
 * Schemas of the Janus API replies the typed client reads (Janus 1.x "JSON API", docs
 * janus.conf.meetecho.com/docs/rest.html; VideoRoom plugin API). Janus adds fields over releases,
 * so extra properties are allowed; the ones read are required and typed.
 */

/** A room id: a number, or a string when the VideoRoom plugin runs with `string_ids`. */
export const JanusRoomId = Type.Union([
  Type.Integer({ minimum: 1 }),
  Type.String({ minLength: 1, maxLength: 128 }),
]);
export type JanusRoomId = Static<typeof JanusRoomId>;

/** `{janus:"error"}`: the core refused the request (e.g. 403 unauthorized, 458 no such session). */
export const JanusErrorReply = Type.Object({
  janus: Type.Literal("error"),
  transaction: Type.String(),
  error: Type.Object({ code: Type.Integer(), reason: Type.String({ maxLength: 2048 }) }),
});

/** `{janus:"success", data:{id}}`: answer of `create` (session id) and `attach` (handle id). */
export const JanusIdReply = Type.Object({
  janus: Type.Literal("success"),
  transaction: Type.String(),
  data: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
});

/** `{janus:"server_info"}`: answer of `info`. */
export const JanusInfoReply = Type.Object({
  janus: Type.Literal("server_info"),
  transaction: Type.String(),
  name: Type.String(),
  version: Type.Integer(),
  version_string: Type.String(),
  plugins: Type.Record(Type.String(), Type.Unknown()),
  transports: Type.Record(Type.String(), Type.Unknown()),
});
export type JanusInfoReply = Static<typeof JanusInfoReply>;

/** `{janus:"success", plugindata:{plugin, data}}`: answer of a synchronous plugin request. */
export const JanusPluginReply = Type.Object({
  janus: Type.Literal("success"),
  transaction: Type.String(),
  plugindata: Type.Object({ plugin: Type.String(), data: Type.Record(Type.String(), Type.Unknown()) }),
});

/** VideoRoom's refusal: `{videoroom:"event", error_code, error}` (e.g. 426 no such room, 433 unauthorized). */
export const VideoRoomError = Type.Object({
  videoroom: Type.Literal("event"),
  error_code: Type.Integer(),
  error: Type.String({ maxLength: 2048 }),
});

/** VideoRoom `create` answer. */
export const VideoRoomCreated = Type.Object({ videoroom: Type.Literal("created"), room: JanusRoomId });

/** VideoRoom `destroy` answer. */
export const VideoRoomDestroyed = Type.Object({ videoroom: Type.Literal("destroyed"), room: JanusRoomId });

/** VideoRoom `exists` answer. */
export const VideoRoomExists = Type.Object({
  videoroom: Type.Literal("success"),
  room: JanusRoomId,
  exists: Type.Boolean(),
});

/** One room of a VideoRoom `list` answer. */
export const VideoRoomSummary = Type.Object({
  room: JanusRoomId,
  description: Type.String(),
  num_participants: Type.Integer({ minimum: 0 }),
  max_publishers: Type.Integer({ minimum: 0 }),
  require_e2ee: Type.Optional(Type.Boolean()),
});
export type VideoRoomSummary = Static<typeof VideoRoomSummary>;

/** VideoRoom `list` answer. */
export const VideoRoomList = Type.Object({
  videoroom: Type.Literal("success"),
  list: Type.Array(VideoRoomSummary),
});

/** One participant of a VideoRoom `listparticipants` answer. */
export const VideoRoomParticipant = Type.Object({
  id: Type.Union([Type.Integer(), Type.String()]),
  display: Type.Optional(Type.String()),
  publisher: Type.Boolean(),
  talking: Type.Optional(Type.Boolean()),
});
export type VideoRoomParticipant = Static<typeof VideoRoomParticipant>;

/** VideoRoom `listparticipants` answer. */
export const VideoRoomParticipants = Type.Object({
  videoroom: Type.Literal("participants"),
  room: JanusRoomId,
  participants: Type.Array(VideoRoomParticipant),
});

/** VideoRoom `success` answer of a moderation request (`allowed`, `kick`, `moderate`). */
export const VideoRoomSuccess = Type.Object({ videoroom: Type.Literal("success") });

/*
 * What a browser participant of a VideoRoom reads (packages/web/src/lib/voice/): the asynchronous
 * `ack` + `event` answers of `join`, `publish`/`configure` and subscriber `join`/`start`, and the
 * room's events (a publisher came, left or unpublished).
 */

/** A session description Janus sends or takes; `e2ee` marks media encrypted end to end (SFrame). */
export const JanusJsep = Type.Object({
  type: Type.Union([Type.Literal("offer"), Type.Literal("answer")]),
  sdp: Type.String({ minLength: 1, maxLength: 65_536 }),
  e2ee: Type.Optional(Type.Boolean()),
});
export type JanusJsep = Static<typeof JanusJsep>;

/** `{janus:"ack"}`: Janus took an asynchronous request; its answer comes as an `event`. */
export const JanusAck = Type.Object({ janus: Type.Literal("ack"), transaction: Type.String() });

/** `{janus:"event"}`: a plugin's answer to an asynchronous request (same `transaction`) or a room event (none). */
export const JanusPluginEvent = Type.Object({
  janus: Type.Literal("event"),
  sender: Type.Integer({ minimum: 1 }),
  transaction: Type.Optional(Type.String()),
  plugindata: Type.Object({ plugin: Type.String(), data: Type.Record(Type.String(), Type.Unknown()) }),
  jsep: Type.Optional(JanusJsep),
});
export type JanusPluginEvent = Static<typeof JanusPluginEvent>;

/** Janus core events about a handle's PeerConnection (`webrtcup`, `hangup`, `media`, `slowlink`). */
export const JanusHandleEvent = Type.Object({
  janus: Type.Union([
    Type.Literal("webrtcup"),
    Type.Literal("hangup"),
    Type.Literal("media"),
    Type.Literal("slowlink"),
    Type.Literal("detached"),
  ]),
  sender: Type.Integer({ minimum: 1 }),
  reason: Type.Optional(Type.String({ maxLength: 2048 })),
});
export type JanusHandleEvent = Static<typeof JanusHandleEvent>;

/**
 * One stream a publisher sends, as VideoRoom (Janus 1.x, multistream) lists it: its kind, its `mid`
 * in the publisher's session description, and `disabled` while the m-line is inactive (a camera
 * turned off). A `publishers` event naming a publisher already known lists its streams anew after
 * it renegotiated (`configure` with a new offer).
 */
export const VideoRoomStream = Type.Object({
  type: Type.String({ maxLength: 16 }),
  mid: Type.Optional(Type.String({ maxLength: 64 })),
  disabled: Type.Optional(Type.Boolean()),
});
export type VideoRoomStream = Static<typeof VideoRoomStream>;

/** A publisher as VideoRoom lists it (`publishers` of `joined` and of room events). */
export const VideoRoomPublisher = Type.Object({
  id: Type.Integer({ minimum: 1 }),
  display: Type.Optional(Type.String({ maxLength: 256 })),
  streams: Type.Optional(Type.Array(VideoRoomStream, { maxItems: 64 })),
});
export type VideoRoomPublisher = Static<typeof VideoRoomPublisher>;

/** VideoRoom `joined`: this publisher is in the room; the publishers already there. */
export const VideoRoomJoined = Type.Object({
  videoroom: Type.Literal("joined"),
  room: JanusRoomId,
  id: Type.Integer({ minimum: 1 }),
  private_id: Type.Optional(Type.Integer()),
  publishers: Type.Array(VideoRoomPublisher, { maxItems: 1024 }),
});

/** A VideoRoom room event: new publishers, one that left or unpublished, or the answer to `configure`/`start`. */
export const VideoRoomEvent = Type.Object({
  videoroom: Type.Literal("event"),
  room: Type.Optional(JanusRoomId),
  publishers: Type.Optional(Type.Array(VideoRoomPublisher, { maxItems: 1024 })),
  leaving: Type.Optional(Type.Union([Type.Integer(), Type.Literal("ok")])),
  unpublished: Type.Optional(Type.Union([Type.Integer(), Type.Literal("ok")])),
  /** A participant a moderator (here: the server, on leave, move or disconnect) kicked out. */
  kicked: Type.Optional(Type.Integer()),
  configured: Type.Optional(Type.Literal("ok")),
  started: Type.Optional(Type.Literal("ok")),
  error_code: Type.Optional(Type.Integer()),
  error: Type.Optional(Type.String({ maxLength: 2048 })),
});
export type VideoRoomEvent = Static<typeof VideoRoomEvent>;

/** VideoRoom `attached`: a subscriber handle joined; the offer comes in the event's `jsep`. */
export const VideoRoomAttached = Type.Object({ videoroom: Type.Literal("attached"), room: JanusRoomId });

/** VideoRoom `destroyed` as a room event: the room is gone (the last member left, or Janus restarted). */
export const VideoRoomGone = Type.Object({ videoroom: Type.Literal("destroyed") });
