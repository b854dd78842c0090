import { type Static, Type } from "@sinclair/typebox";
import { Base64Url, Id, Timestamp } from "./common.js";
import { LIMITS } from "./limits.js";
import { MessageDeclaration } from "./message-declaration.js";

/** Most messages one account may hold scheduled on the server at once. */
export const MAX_SCHEDULED_PER_ACCOUNT = 200;
/** How far ahead a message may be scheduled (ms): 366 days. */
export const MAX_SCHEDULE_AHEAD_MS = 366 * 24 * 60 * 60 * 1000;

const Ciphertext = Base64Url(
  LIMITS.maxMessageChars,
  "MLSMessage with wireformat mls_private_message (RFC 9420 §6.3), as it will be appended at release",
);
const Declares = Type.Optional(
  Type.Array(MessageDeclaration, {
    maxItems: 2,
    uniqueItems: true,
    description:
      "what the message carries that needs a permission in a community channel (checked at release)",
  }),
);

/**
 * Body of `POST /v1/scheduled-messages`: an application message the server holds as ciphertext and
 * appends to the group's log at `releaseAt` through the normal send path (same membership and
 * permission checks, then, at release time). `messageId` is the log's message id (idempotent).
 */
export const CreateScheduledBody = Type.Object(
  {
    groupId: Id,
    messageId: Id,
    epoch: Type.Integer({ minimum: 0, description: "the MLS epoch the ciphertext was encrypted in" }),
    ciphertext: Ciphertext,
    declares: Declares,
    releaseAt: Timestamp,
    seriesId: Type.Optional(Id),
  },
  { additionalProperties: false },
);
export type CreateScheduledBody = Static<typeof CreateScheduledBody>;

/** Body of `PUT /v1/scheduled-messages/:messageId`: the same message re-encrypted (a newer epoch). */
export const ReplaceScheduledBody = Type.Object(
  {
    epoch: Type.Integer({ minimum: 0 }),
    ciphertext: Ciphertext,
    declares: Declares,
  },
  { additionalProperties: false },
);
export type ReplaceScheduledBody = Static<typeof ReplaceScheduledBody>;

export const ScheduledParams = Type.Object({ messageId: Id }, { additionalProperties: false });
export type ScheduledParams = Static<typeof ScheduledParams>;

/** A scheduled message as its account sees it (never its ciphertext). */
export const ScheduledMessage = Type.Object({
  messageId: Id,
  groupId: Id,
  deviceId: Id,
  epoch: Type.Integer({ minimum: 0 }),
  releaseAt: Timestamp,
  seriesId: Type.Optional(Id),
  createdAt: Timestamp,
  failure: Type.Optional(
    Type.String({ description: "the error code the release was refused with (then it is never sent)" }),
  ),
});
export type ScheduledMessage = Static<typeof ScheduledMessage>;

export const ScheduledListResponse = Type.Object({ scheduled: Type.Array(ScheduledMessage) });
export type ScheduledListResponse = Static<typeof ScheduledListResponse>;

export const CancelScheduledResponse = Type.Object({ messageId: Id });
export type CancelScheduledResponse = Static<typeof CancelScheduledResponse>;

/** REST routes of scheduled messages (merged into ROUTES). */
export const SCHEDULED_ROUTES = {
  createScheduled: {
    method: "POST",
    path: "/v1/scheduled-messages",
    summary:
      "Hold an encrypted application message until releaseAt (future, at most 366 days ahead), then append it to the group's log as if sent then by the calling device (membership and community permissions checked at release). At most 200 per account; VOLLY_E_MESSAGE_ID_CONFLICT when the id is taken.",
    auth: true,
    body: CreateScheduledBody,
    response: ScheduledMessage,
  },
  listScheduled: {
    method: "GET",
    path: "/v1/scheduled-messages",
    summary:
      "The calling account's scheduled messages not yet released (and those whose release was refused), by release time.",
    auth: true,
    response: ScheduledListResponse,
  },
  replaceScheduled: {
    method: "PUT",
    path: "/v1/scheduled-messages/:messageId",
    summary:
      "Replace a scheduled message's ciphertext (re-encrypted at a newer epoch by any device of the account, which becomes its sender); VOLLY_E_UNKNOWN_SCHEDULED once it is being released.",
    auth: true,
    params: ScheduledParams,
    body: ReplaceScheduledBody,
    response: ScheduledMessage,
  },
  cancelScheduled: {
    method: "DELETE",
    path: "/v1/scheduled-messages/:messageId",
    summary:
      "Cancel a scheduled message of the calling account; VOLLY_E_UNKNOWN_SCHEDULED once it is being released.",
    auth: true,
    params: ScheduledParams,
    response: CancelScheduledResponse,
  },
} as const;
