import { type Static, Type } from "@sinclair/typebox";

/** Most ICE server URLs one answer of `GET /v1/calls/ice-servers` carries. */
export const MAX_ICE_SERVER_URLS = 16;
/** Longest TURN credential lifetime the server hands out (s): one day. */
export const MAX_TURN_TTL_SECONDS = 86_400;

/**
 * One STUN or TURN URL as WebRTC takes it (RFC 7064 `stun:`/`stuns:`, RFC 7065 `turn:`/`turns:`,
 * e.g. `turns:turn.example.org:5349?transport=tcp`).
 */
export const IceServerUrl = Type.String({
  minLength: 6,
  maxLength: 512,
  pattern: "^(stun|stuns|turn|turns):[^\\s]+$",
  description: "a stun:, stuns:, turn: or turns: URL (RFC 7064, RFC 7065)",
});

/**
 * One entry of `RTCConfiguration.iceServers` (W3C WebRTC §4.2.1 RTCIceServer). For TURN the
 * credentials are the TURN REST API's (draft-uberti-behave-turn-rest-00 §2.2): `username` is
 * `<expiry Unix seconds>:<accountId>` and `credential` is base64(HMAC-SHA1(shared secret, username)),
 * which coturn checks with `use-auth-secret`. STUN-only entries carry neither.
 */
export const IceServer = Type.Object(
  {
    urls: Type.Array(IceServerUrl, { minItems: 1, maxItems: MAX_ICE_SERVER_URLS }),
    username: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    credential: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  },
  { additionalProperties: false },
);
export type IceServer = Static<typeof IceServer>;

/**
 * Answer of `GET /v1/calls/ice-servers`: what a device passes as `RTCConfiguration.iceServers` for a
 * call. Empty when the server has no STUN/TURN configured (peers then connect only where host
 * candidates reach each other). `ttlSeconds`: how long the TURN credentials stay valid from now;
 * fetch new ones before then (a running allocation is refreshed with the credentials it was made
 * with, so a call outlives them only until its next refresh — coturn refuses expired ones).
 */
export const IceServersResponse = Type.Object(
  {
    iceServers: Type.Array(IceServer, { maxItems: MAX_ICE_SERVER_URLS }),
    ttlSeconds: Type.Integer({ minimum: 0, maximum: MAX_TURN_TTL_SECONDS }),
  },
  { additionalProperties: false },
);
export type IceServersResponse = Static<typeof IceServersResponse>;

/** REST routes of call infrastructure (merged into ROUTES). */
export const CALL_INFRA_ROUTES = {
  getIceServers: {
    method: "GET",
    path: "/v1/calls/ice-servers",
    summary:
      "STUN/TURN servers for a call with short-lived TURN credentials for the caller's account (TURN REST API, coturn use-auth-secret); empty when none are configured.",
    auth: true,
    response: IceServersResponse,
  },
} as const;
