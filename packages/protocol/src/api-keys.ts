import { type Static, Type } from "@sinclair/typebox";
import { API_KEY_LENGTH } from "./api-key-format.js";
import { Id, Timestamp } from "./common.js";

/**
 * What a session made with an API key may do (enforced by the server on REST routes and gateway ops):
 * - `send`: send messages and upload blobs;
 * - `read`: history, deliveries (gateway IDENTIFY), blob downloads;
 * - `manage`: group and community changes (commits, creating groups, admins), invites, device
 *   links, devices, recovery, profile and API keys.
 */
export const ApiKeyScope = Type.Union([Type.Literal("send"), Type.Literal("read"), Type.Literal("manage")]);
export type ApiKeyScope = Static<typeof ApiKeyScope>;

/** Every scope, in a fixed order (the default of a new key). */
export const API_KEY_SCOPES: readonly ApiKeyScope[] = ["send", "read", "manage"];

/** An API key's text on the wire: `vly_` + 32 base62 + 6 base62 of CRC32 (checked separately). */
export const ApiKeyText = Type.String({
  minLength: API_KEY_LENGTH,
  maxLength: API_KEY_LENGTH,
  // The exact length in the pattern too: generators (fast-check's stringMatching in the fuzz tests)
  // then make keys of that length instead of filtering random lengths down to it.
  pattern: `^vly_[0-9A-Za-z]{${API_KEY_LENGTH - 4}}$`,
  description: "vly_ + 32 base62 random characters + 6 base62 characters of CRC32; shown once",
});

/** Most API keys an account may hold that are not revoked or expired. */
export const MAX_API_KEYS_PER_ACCOUNT = 50;
/** Longest rotation overlap: 30 days (ms). */
export const MAX_API_KEY_OVERLAP_MS = 30 * 24 * 3600_000;

const Name = Type.String({ minLength: 1, maxLength: 64, description: "a label for people, not secret" });
const Scopes = Type.Array(ApiKeyScope, { minItems: 1, maxItems: 3, uniqueItems: true });

/** POST /v1/api-keys body. */
export const CreateApiKeyBody = Type.Object(
  {
    name: Name,
    scopes: Scopes,
    expiresAt: Type.Optional(Type.Union([Timestamp, Type.Null()], { description: "ms; null/absent: never" })),
  },
  { additionalProperties: false },
);
export type CreateApiKeyBody = Static<typeof CreateApiKeyBody>;

/** One API key as listed: never the key itself nor its hash. */
export const ApiKeyInfo = Type.Object({
  id: Id,
  name: Type.String(),
  scopes: Type.Array(ApiKeyScope),
  hint: Type.String({ description: "the key's first 8 characters (vly_ + 4), to recognise it" }),
  createdAt: Timestamp,
  expiresAt: Type.Optional(Timestamp),
  lastUsedAt: Type.Optional(Timestamp),
  revokedAt: Type.Optional(Timestamp),
  replacedBy: Type.Optional(Id),
});
export type ApiKeyInfo = Static<typeof ApiKeyInfo>;

/** A key just created (or rotated): the only time the key's text is returned. */
export const CreatedApiKey = Type.Object({ key: ApiKeyText, info: ApiKeyInfo });
export type CreatedApiKey = Static<typeof CreatedApiKey>;

export const ApiKeyListResponse = Type.Object({ keys: Type.Array(ApiKeyInfo) });
export type ApiKeyListResponse = Static<typeof ApiKeyListResponse>;

export const ApiKeyParams = Type.Object({ keyId: Id }, { additionalProperties: false });

/** POST /v1/api-keys/:keyId/rotate body. */
export const RotateApiKeyBody = Type.Object(
  {
    overlapMs: Type.Integer({
      minimum: 0,
      maximum: MAX_API_KEY_OVERLAP_MS,
      description: "how long the old key keeps working (ms)",
    }),
  },
  { additionalProperties: false },
);
export type RotateApiKeyBody = Static<typeof RotateApiKeyBody>;

/** The REST v1 routes of API keys; part of `ROUTES`. Every one needs a session with `manage`. */
export const API_KEY_ROUTES = {
  createApiKey: {
    method: "POST",
    path: "/v1/api-keys",
    summary:
      "Creates an API key for the caller's account. The answer is the only time the key is shown; the server keeps its SHA-256.",
    auth: true,
    body: CreateApiKeyBody,
    response: CreatedApiKey,
  },
  listApiKeys: {
    method: "GET",
    path: "/v1/api-keys",
    summary: "The account's API keys (id, name, scopes, hint, times), newest first; never the keys.",
    auth: true,
    response: ApiKeyListResponse,
  },
  revokeApiKey: {
    method: "DELETE",
    path: "/v1/api-keys/:keyId",
    summary:
      "Revokes a key at once: its sessions end, its gateway connections close (VOLLY_E_API_KEY_REVOKED).",
    auth: true,
    params: ApiKeyParams,
    response: ApiKeyInfo,
  },
  rotateApiKey: {
    method: "POST",
    path: "/v1/api-keys/:keyId/rotate",
    summary:
      "Creates a key with the same name, scopes and expiry; the old one keeps working for overlapMs, then expires.",
    auth: true,
    params: ApiKeyParams,
    body: RotateApiKeyBody,
    response: CreatedApiKey,
  },
} as const;
