import { type Static, Type } from "@sinclair/typebox";
import { Handle, Id, LIMITS, Reaction } from "@volly/protocol";

/**
 * Request and response schemas of the daemon's local HTTP API that are not shared events
 * (those are in @volly/bot's events.ts). Each is used both to validate (daemon/http-app.ts) and to
 * describe the API (daemon/openapi.ts, OpenAPI 3.1 = JSON Schema 2020-12).
 */

/** Most files in one message sent through the daemon. */
export const MAX_FILES_PER_MESSAGE = 10;

/** The JSON body of every error: `{code: "VOLLY_E_…", message, details?}` (packages/protocol errors). */
export const ErrorBody = Type.Object(
  {
    code: Type.String({
      pattern: "^VOLLY_E_[A-Z_]+$",
      description: "a Volly error code, e.g. VOLLY_E_BAD_REQUEST",
    }),
    message: Type.String(),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { $id: "ErrorBody", additionalProperties: false },
);

/** Path parameters `{id}`: a conversation id. */
export const ConversationParams = Type.Object({ id: Id }, { additionalProperties: false });

/** Path parameters `{id}/messages/{messageId}`. */
export const MessageParams = Type.Object({ id: Id, messageId: Id }, { additionalProperties: false });

/** Path parameters `{id}/members/{handle}`. */
export const MemberParams = Type.Object({ id: Id, handle: Handle }, { additionalProperties: false });

/** `GET /v1/conversations/{id}/messages?limit=N` (default 50, at most 500). */
export const MessagesQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })) },
  { additionalProperties: false },
);

/** A file on the daemon's own machine to attach: it is read, encrypted and uploaded by the daemon. */
export const LocalFile = Type.Object(
  { path: Type.String({ minLength: 1, maxLength: 4096, description: "absolute path of a local file" }) },
  { $id: "LocalFile", additionalProperties: false },
);

/** `POST /v1/conversations/{id}/messages`. */
export const SendMessageBody = Type.Object(
  {
    text: Type.String({ maxLength: LIMITS.maxTextChars, description: "the message ('' allowed with files)" }),
    replyTo: Type.Optional(Id),
    threadId: Type.Optional(Id),
    files: Type.Optional(
      Type.Array(LocalFile, {
        maxItems: MAX_FILES_PER_MESSAGE,
        description: "local files to attach (paths on the daemon's machine)",
      }),
    ),
  },
  { $id: "SendMessageBody", additionalProperties: false },
);
export type SendMessageBody = Static<typeof SendMessageBody>;

/** `POST /v1/conversations/{id}/messages/{messageId}/reactions`. */
export const ReactionBody = Type.Object(
  { emoji: Reaction },
  { $id: "ReactionBody", additionalProperties: false },
);

/** The answer to a reaction. */
export const ReactionResult = Type.Object(
  { conversationId: Id, messageId: Id, emoji: Reaction },
  { $id: "ReactionResult", additionalProperties: false },
);

/** `POST /v1/groups`: a new group with these members (handles, without "@"). */
export const CreateGroupBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    members: Type.Array(Handle, { maxItems: 100, uniqueItems: true }),
  },
  { $id: "CreateGroupBody", additionalProperties: false },
);

/** `POST /v1/conversations/{id}/members`: people to add (all their devices). */
export const AddMembersBody = Type.Object(
  { members: Type.Array(Handle, { minItems: 1, maxItems: 100, uniqueItems: true }) },
  { $id: "AddMembersBody", additionalProperties: false },
);

/** The answer to a membership change (add, remove, leave). */
export const MembershipResult = Type.Object(
  {
    conversationId: Id,
    added: Type.Optional(Type.Array(Handle)),
    removed: Type.Optional(Handle),
    left: Type.Optional(Type.Boolean()),
  },
  { $id: "MembershipResult", additionalProperties: false },
);

/** `GET /healthz`. */
export const Health = Type.Object(
  {
    status: Type.Literal("ok"),
    accountId: Type.String(),
    handle: Type.String(),
  },
  { $id: "Health", additionalProperties: false },
);

/** One open direct path (`GET /v1/direct`). */
const DirectPeerSchema = Type.Object(
  {
    deviceId: Type.String(),
    accountId: Type.String(),
    handle: Type.String(),
    via: Type.Union([Type.Literal("lan"), Type.Literal("server")]),
    since: Type.Integer({ description: "ms since the Unix epoch" }),
  },
  { additionalProperties: false },
);

/** `GET /v1/direct`: the daemon's direct paths to member devices (`volly daemon --direct`). */
export const DirectStatus = Type.Object(
  {
    enabled: Type.Boolean(),
    peers: Type.Array(DirectPeerSchema),
    counts: Type.Object(
      {
        sent: Type.Integer(),
        received: Type.Integer(),
        firstDirect: Type.Integer({
          description: "messages stored from a direct path before the server's copy",
        }),
        relayed: Type.Integer(),
        dropped: Type.Integer(),
      },
      { additionalProperties: false },
    ),
  },
  { $id: "DirectStatus", additionalProperties: false },
);

/** `GET /v1/openapi.json`: an OpenAPI 3.1 document (described loosely, it describes itself). */
export const OpenApiDocument = Type.Object(
  { openapi: Type.String() },
  { $id: "OpenApiDocument", additionalProperties: true },
);
