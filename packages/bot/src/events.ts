import { type Static, Type } from "@sinclair/typebox";
import { EntityType, Handle, Id } from "@volly/protocol";

/**
 * A file of a message as machine members see it: the same shape as `volly receive --json`'s
 * `attachments` entries. `sha256` is the SHA-256 of the ciphertext (hex), checked on download.
 */
export const MemberAttachment = Type.Object(
  {
    id: Type.String({ description: "the attachment's id within its message" }),
    name: Type.String({ description: "the file name the sender gave" }),
    size: Type.Integer({ minimum: 0, description: "plaintext size, bytes" }),
    mime: Type.String({ description: "media type, e.g. image/png" }),
    sha256: Type.String({ description: "SHA-256 of the ciphertext, hex" }),
  },
  { $id: "MemberAttachment", additionalProperties: false },
);
export type MemberAttachment = Static<typeof MemberAttachment>;

/** Who sent a message: account, handle and entity type (human, bot, agent, service, device). */
export const MemberSender = Type.Object(
  {
    accountId: Type.String({ description: "the sender's account id" }),
    handle: Handle,
    entityType: Type.Optional(EntityType),
    deviceId: Type.Optional(Type.String({ description: "the sending device's id" })),
  },
  { $id: "MemberSender", additionalProperties: false },
);
export type MemberSender = Static<typeof MemberSender>;

/**
 * One message of a conversation, decrypted on the member's machine: what `@volly/bot` hands to
 * `onMessage`, what `volly daemon` serves (`GET /v1/conversations/{id}/messages`, each SSE event of
 * `GET /v1/events`, each webhook body), and what the MQTT bridge publishes (its `{id, from, text,
 * sentAt}` subset).
 */
export const MessageEvent = Type.Object(
  {
    type: Type.Literal("message"),
    id: Id,
    conversationId: Id,
    communityId: Type.Optional(Id),
    channelId: Type.Optional(Id),
    threadId: Type.Optional(Id),
    from: MemberSender,
    direction: Type.Union([Type.Literal("in"), Type.Literal("out")], {
      description: '"out" when sent by this member\'s own account',
    }),
    text: Type.String({ description: "the message text ('' for files without a caption)" }),
    sentAt: Type.Integer({ description: "sender's clock, ms since the Unix epoch" }),
    replyTo: Type.Optional(Id),
    attachments: Type.Array(MemberAttachment),
  },
  { $id: "MessageEvent", additionalProperties: false },
);
export type MessageEvent = Static<typeof MessageEvent>;

/** Every event a machine member emits. One kind today; a new kind is a new schema in this union. */
export const MemberEvent = Type.Union([MessageEvent], { $id: "MemberEvent" });
export type MemberEvent = Static<typeof MemberEvent>;

/** A conversation as machine members list it. */
export const ConversationSummary = Type.Object(
  {
    id: Id,
    kind: Type.Union([Type.Literal("direct"), Type.Literal("group"), Type.Literal("channel")]),
    name: Type.String({ description: "group or channel name; the other member's handle in a direct one" }),
    communityId: Type.Optional(Id),
    channelId: Type.Optional(Id),
    unread: Type.Integer({ minimum: 0 }),
  },
  { $id: "ConversationSummary", additionalProperties: false },
);
export type ConversationSummary = Static<typeof ConversationSummary>;
