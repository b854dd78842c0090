import { type Static, type TSchema, Type } from "@sinclair/typebox";
import { Id, Timestamp } from "./common.js";
import { IceServer, MAX_ICE_SERVER_URLS, MAX_TURN_TTL_SECONDS } from "./ice-servers.js";

/*
 * Community voice channels, REST v1 + gateway (DESIGN.md "Calls"; docs/communities.md "Voice
 * channels"). Who is in which voice channel, muted or deafened, is server-visible metadata, as in
 * Discord; the media goes through the SFU (Janus VideoRoom) encrypted end to end with SFrame keys from
 * the voice channel's MLS group (RFC 9605 §5.2), so neither the server nor the SFU can hear it.
 */

/** One account's presence in a voice channel of a community (at most one per account and community). */
export const VoiceState = Type.Object(
  {
    channelId: Id,
    accountId: Id,
    /** The device connected to the SFU. */
    deviceId: Id,
    /** Muted by the member themself. */
    selfMute: Type.Boolean(),
    /** Deafened by the member themself (hears nothing; implies muted in clients). */
    selfDeaf: Type.Boolean(),
    /** Muted by a moderator (MUTE_MEMBERS), or for lack of SPEAK in the channel. */
    serverMute: Type.Boolean(),
    /** Deafened by a moderator (DEAFEN_MEMBERS). */
    serverDeaf: Type.Boolean(),
    /** When the account joined this channel (ms since the Unix epoch). */
    joinedAt: Timestamp,
  },
  { additionalProperties: false },
);
export type VoiceState = Static<typeof VoiceState>;

/** The Janus VideoRoom the SFU media of one voice channel goes through, and how to enter it. */
export const VoiceSfuAccess = Type.Object(
  {
    /** The Janus WebSocket API as clients reach it (subprotocol `janus-protocol`). */
    url: Type.String({ minLength: 1, maxLength: 2048 }),
    /** The VideoRoom room id (`room` of join requests). */
    room: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
    /** The participant id to join with (`id`): moderation (server mute, kick) targets this id. */
    participantId: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
    /** The room's access token for this participant (`token` of the VideoRoom join request). */
    token: Type.String({ minLength: 1, maxLength: 256 }),
    /**
     * Janus's signed gateway token (`token` of every Janus API request: create, attach, message,
     * keepalive), valid for `videoroom` only until it expires; absent when the SFU needs none.
     */
    gatewayToken: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
  },
  { additionalProperties: false },
);
export type VoiceSfuAccess = Static<typeof VoiceSfuAccess>;

/** Answer of joining a voice channel: the new state, how to reach the SFU room, and ICE servers. */
export const VoiceJoinResponse = Type.Object(
  {
    state: VoiceState,
    sfu: VoiceSfuAccess,
    iceServers: Type.Array(IceServer, { maxItems: MAX_ICE_SERVER_URLS }),
    /** How long the TURN credentials and the gateway token stay valid (s). */
    ttlSeconds: Type.Integer({ minimum: 0, maximum: MAX_TURN_TTL_SECONDS }),
  },
  { additionalProperties: false },
);
export type VoiceJoinResponse = Static<typeof VoiceJoinResponse>;

/** Body of `PATCH …/voice-states/@me`: the caller's own mute and deafen. */
export const UpdateSelfVoiceBody = Type.Object(
  { selfMute: Type.Optional(Type.Boolean()), selfDeaf: Type.Optional(Type.Boolean()) },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateSelfVoiceBody = Static<typeof UpdateSelfVoiceBody>;

/**
 * Body of `PATCH …/voice-states/:accountId` (a moderator on another member): `serverMute` needs
 * MUTE_MEMBERS, `serverDeaf` DEAFEN_MEMBERS, `channelId` MOVE_MEMBERS (another voice channel the
 * member may CONNECT to, or `null` to disconnect them) — each in the member's current channel.
 */
export const ModerateVoiceBody = Type.Object(
  {
    serverMute: Type.Optional(Type.Boolean()),
    serverDeaf: Type.Optional(Type.Boolean()),
    channelId: Type.Optional(Type.Union([Id, Type.Null()])),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type ModerateVoiceBody = Static<typeof ModerateVoiceBody>;

/** Answer of `GET …/voice-states`: the voice states of the channels the caller may view. */
export const VoiceStatesResponse = Type.Object({ voiceStates: Type.Array(VoiceState) });
export type VoiceStatesResponse = Static<typeof VoiceStatesResponse>;

/**
 * Gateway DISPATCH VOICE_STATE_UPDATE: an account joined, changed or left (`state: null`) a voice
 * channel; sent to the community's members who may view that channel (for a move: either one).
 */
export const VoiceStateUpdateEvent = Type.Object({
  communityId: Id,
  accountId: Id,
  /** The channel it was in before, when it left or moved. */
  previousChannelId: Type.Optional(Id),
  state: Type.Union([VoiceState, Type.Null()]),
});
export type VoiceStateUpdateEvent = Static<typeof VoiceStateUpdateEvent>;

export const VoiceChannelParams = Type.Object(
  { communityId: Id, channelId: Id },
  { additionalProperties: false },
);
export const VoiceMemberParams = Type.Object(
  { communityId: Id, accountId: Id },
  { additionalProperties: false },
);
const CommunityOnly = Type.Object({ communityId: Id }, { additionalProperties: false });

interface VoiceRouteSpec {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  path: string;
  summary: string;
  auth: true;
  params: TSchema;
  body?: TSchema;
  response: TSchema;
}

/** REST routes of voice channels (merged into ROUTES). Without an SFU: 503 VOLLY_E_SFU_UNAVAILABLE. */
export const VOICE_ROUTES = {
  joinVoice: {
    method: "POST",
    path: "/v1/communities/:communityId/channels/:channelId/voice",
    summary:
      "Join a voice channel (VIEW_CHANNEL + CONNECT), leaving any other of the community: the SFU room, a join token and ICE servers.",
    auth: true,
    params: VoiceChannelParams,
    response: VoiceJoinResponse,
  },
  listVoiceStates: {
    method: "GET",
    path: "/v1/communities/:communityId/voice-states",
    summary: "Who is in which voice channel (of the channels the caller may view).",
    auth: true,
    params: CommunityOnly,
    response: VoiceStatesResponse,
  },
  updateSelfVoice: {
    method: "PATCH",
    path: "/v1/communities/:communityId/voice-states/@me",
    summary: "Mute or deafen oneself in the voice channel one is in.",
    auth: true,
    params: CommunityOnly,
    body: UpdateSelfVoiceBody,
    response: VoiceState,
  },
  leaveVoice: {
    method: "DELETE",
    path: "/v1/communities/:communityId/voice-states/@me",
    summary: "Leave the community's voice channel one is in (nothing when in none).",
    auth: true,
    params: CommunityOnly,
    response: Type.Object({}),
  },
  moderateVoice: {
    method: "PATCH",
    path: "/v1/communities/:communityId/voice-states/:accountId",
    summary:
      "Server-mute (MUTE_MEMBERS), server-deafen (DEAFEN_MEMBERS), move or disconnect (MOVE_MEMBERS) a member in a voice channel.",
    auth: true,
    params: VoiceMemberParams,
    body: ModerateVoiceBody,
    response: Type.Object({ state: Type.Union([VoiceState, Type.Null()]) }),
  },
} as const satisfies Record<string, VoiceRouteSpec>;
