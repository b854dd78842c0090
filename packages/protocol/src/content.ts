import { type Static, Type } from "@sinclair/typebox";
import { Id, Timestamp } from "./common.js";
import { LIMITS } from "./limits.js";

/**
 * What travels inside an MLS application message (encrypted end to end; the server never sees it).
 * `id` must equal the envelope's messageId, so the server cannot swap messages between envelopes.
 */
export const TextContent = Type.Object({
  v: Type.Literal(1),
  type: Type.Literal("text"),
  id: Id,
  text: Type.String({ minLength: 1, maxLength: LIMITS.maxTextChars }),
  sentAt: Timestamp,
});
export type TextContent = Static<typeof TextContent>;

/**
 * Delivery and read receipts for messages of the same conversation (encrypted like any message).
 * "delivered" is sent by a device once it stored the messages; "read" once the user saw them
 * (only when the user has read receipts turned on).
 */
export const ReceiptContent = Type.Object({
  v: Type.Literal(1),
  type: Type.Literal("receipt"),
  id: Id,
  kind: Type.Union([Type.Literal("delivered"), Type.Literal("read")]),
  messageIds: Type.Array(Id, { minItems: 1, maxItems: 500 }),
  sentAt: Timestamp,
});
export type ReceiptContent = Static<typeof ReceiptContent>;

/** A group's name, set at creation and on rename (encrypted; the server never sees it). */
export const GroupMetaContent = Type.Object({
  v: Type.Literal(1),
  type: Type.Literal("group-meta"),
  id: Id,
  name: Type.String({ minLength: 1, maxLength: 64 }),
  sentAt: Timestamp,
});
export type GroupMetaContent = Static<typeof GroupMetaContent>;

/** Every kind of application content. Later kinds (attachments, reactions) join this union. */
export const ApplicationContent = Type.Union([TextContent, ReceiptContent, GroupMetaContent]);
export type ApplicationContent = Static<typeof ApplicationContent>;
