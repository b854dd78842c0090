import { type Static, Type } from "@sinclair/typebox";
import { AttachmentPointer, Attachments } from "./attachments.js";
import {
  CallAcceptContent,
  CallDeclineContent,
  CallEventContent,
  CallHangupContent,
  CallIceContent,
  CallRingContent,
  CallSdpContent,
  CallStateContent,
} from "./calls.js";
import { Base64Url, Handle, Id, Timestamp } from "./common.js";
import { LIMITS } from "./limits.js";
import { LinkPreview } from "./link-preview.js";
import { TextMentions } from "./mentions.js";
import {
  DeleteContent,
  EditContent,
  HistoryPendingAction,
  MESSAGE_STATE_FIELDS,
  PinContent,
  ReactionContent,
} from "./message-actions.js";
import { P2pHelloContent, P2pSdpContent } from "./p2p.js";

/**
 * What travels inside an MLS application message (encrypted end to end; the server never sees it).
 * `id` must equal the envelope's messageId, so the server cannot swap messages between envelopes.
 */
export const TextContent = Type.Object({
  v: Type.Literal(1),
  type: Type.Literal("text"),
  id: Id,
  /** The text, or an attachment's caption ("" only when `attachments` is there). */
  text: Type.String({ maxLength: LIMITS.maxTextChars }),
  sentAt: Timestamp,
  /** Encrypted files the message carries (DESIGN.md "Attachments"); the text is their caption. */
  attachments: Type.Optional(Attachments),
  /** The message this one replies to (same conversation). */
  replyTo: Type.Optional(Id),
  /** Who it mentions (`mentions.ts`); absent: nobody. */
  mentions: Type.Optional(TextMentions),
  /**
   * In a community channel: the id of the thread's root message (same conversation); the message
   * is a reply in that thread (DESIGN.md "Threads"). Receivers outside a channel read it as a reply.
   */
  threadId: Type.Optional(Id),
  /** The sender's preview of the text's first http(s) link (only when the sender turned previews on). */
  preview: Type.Optional(LinkPreview),
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

/**
 * The sender's account's profile as it now reads (sent to each of its conversations after a
 * change; `PUT /v1/accounts/me/profile` changes the directory's copy of the name). Receivers show
 * it for the sender's account. Encrypted like any message.
 *
 * - `displayName`: the new name; absent when only the avatar changed (receivers of earlier
 *   versions, which read only the name, drop such a message and keep showing initials).
 * - `avatar`: a new profile picture, an encrypted attachment of kind "image" (its inline
 *   `thumbnail` is what lists show; the full image is downloaded with the pointer). The message
 *   carries its blob in `blobIds` and declares "attachment". Absent: the avatar is unchanged.
 * - `removeAvatar: true`: the account removed its avatar (receivers fall back to initials). A
 *   message with both `avatar` and `removeAvatar` is malformed; receivers leave the avatar as it is.
 */
export const ProfileContent = Type.Object({
  v: Type.Literal(1),
  type: Type.Literal("profile"),
  id: Id,
  displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  avatar: Type.Optional(AttachmentPointer),
  removeAvatar: Type.Optional(Type.Literal(true)),
  sentAt: Timestamp,
});
export type ProfileContent = Static<typeof ProfileContent>;

/**
 * Account sync: a Yjs update (https://docs.yjs.dev, `Y.encodeStateAsUpdate` or an incremental
 * update) of the account's own document — contacts, conversation list, read marks, settings. Only
 * sent in the account's own "self" conversation, whose members are all devices of one account;
 * receivers apply it with `Y.applyUpdate`, so concurrent changes on two devices merge.
 */
export const AccountSyncContent = Type.Object({
  v: Type.Literal(1),
  type: Type.Literal("account-sync"),
  id: Id,
  update: Base64Url(LIMITS.maxAccountSyncUpdateChars, "Yjs update (binary, base64url)"),
  sentAt: Timestamp,
});
export type AccountSyncContent = Static<typeof AccountSyncContent>;

/** One stored message as a history hand-over carries it (the account's own view of it). */
export const HistoryMessage = Type.Object({
  id: Id,
  conversationId: Id,
  /** Sender's handle. */
  from: Handle,
  fromDeviceId: Id,
  /** "out" when a device of this account sent it. */
  direction: Type.Union([Type.Literal("in"), Type.Literal("out")]),
  /** Empty only for a message deleted for everyone (`deletedAt`), or the caption of `attachments`. */
  text: Type.String({ minLength: 0, maxLength: LIMITS.maxTextChars }),
  sentAt: Timestamp,
  receivedAt: Timestamp,
  status: Type.Union([
    Type.Literal("sent"),
    Type.Literal("delivered"),
    Type.Literal("read"),
    Type.Literal("received"),
  ]),
  seq: Type.Optional(Type.Integer({ minimum: 1 })),
  recipients: Type.Optional(Type.Array(Id, { maxItems: LIMITS.maxGroupDevices })),
  deliveredTo: Type.Optional(Type.Array(Id, { maxItems: LIMITS.maxGroupDevices })),
  readBy: Type.Optional(Type.Array(Id, { maxItems: LIMITS.maxGroupDevices })),
  /** The files the message carries (their pointers: the new device downloads them on demand). */
  attachments: Type.Optional(Attachments),
  ...MESSAGE_STATE_FIELDS,
});
export type HistoryMessage = Static<typeof HistoryMessage>;

/**
 * One chunk of a history hand-over to a newly linked device (like Signal's transfer), sent in the
 * account's self conversation and addressed to the new device (`to`); other devices ignore it.
 * Chunk `index` of `total` of hand-over `transfer`; the receiver stores the messages as history
 * (never as new) and drops ids it already has.
 */
export const HistoryChunkContent = Type.Object({
  v: Type.Literal(1),
  type: Type.Literal("history"),
  id: Id,
  to: Id,
  transfer: Id,
  index: Type.Integer({ minimum: 0 }),
  total: Type.Integer({ minimum: 1 }),
  messages: Type.Array(HistoryMessage, { maxItems: LIMITS.maxHistoryChunkMessages }),
  /**
   * Actions the sending device holds for messages it has not received yet (reactions, edits,
   * deletions, pins that arrived first); the new device keeps them until their messages come.
   */
  pendingActions: Type.Optional(
    Type.Array(HistoryPendingAction, { maxItems: LIMITS.maxHistoryChunkMessages }),
  ),
  sentAt: Timestamp,
});
export type HistoryChunkContent = Static<typeof HistoryChunkContent>;

/**
 * One message of a channel history bundle: what its sender wrote, as the sharing device holds it.
 * The receiving device labels it "shared by" the bundle's sender: nobody else vouches for it.
 */
export const SharedMessage = Type.Object({
  id: Id,
  /** Sender's handle. */
  from: Handle,
  fromDeviceId: Id,
  /** Sender's account id (who may edit or delete it), when the sharer knows it. */
  fromAccountId: Type.Optional(Id),
  /** The text, or an attachment's caption ("" only when `attachments` is there). */
  text: Type.String({ maxLength: LIMITS.maxTextChars }),
  sentAt: Timestamp,
  /** Encrypted files the message carries (DESIGN.md "Attachments"); the text is their caption. */
  attachments: Type.Optional(Attachments),
  /** The root message of the thread it was written in (absent: the channel's main timeline). */
  threadId: Type.Optional(Id),
});
export type SharedMessage = Static<typeof SharedMessage>;

/**
 * One chunk of a community channel's history, handed by a member device to devices that just
 * joined the channel's MLS group (DESIGN.md "History for newcomers", after Matrix MSC4268): sent in
 * the channel's group, addressed to the joining devices (`to`); the other members only note that
 * the newcomers were served. Chunk `index` of `total` of bundle `transfer`; `since` is the start of
 * the window the channel's history policy allowed (epoch ms), the messages are those the sender
 * holds from then on, oldest first.
 */
export const ChannelHistoryContent = Type.Object({
  v: Type.Literal(1),
  type: Type.Literal("channel-history"),
  id: Id,
  to: Type.Array(Id, { minItems: 1, maxItems: LIMITS.maxHistoryRecipients }),
  transfer: Id,
  index: Type.Integer({ minimum: 0 }),
  total: Type.Integer({ minimum: 1 }),
  since: Timestamp,
  messages: Type.Array(SharedMessage, { maxItems: LIMITS.maxHistoryChunkMessages }),
  sentAt: Timestamp,
});
export type ChannelHistoryContent = Static<typeof ChannelHistoryContent>;

/**
 * Every kind of application content. Later kinds join this union; the call signaling kinds
 * (`calls.ts`) travel only as ephemeral messages, `call.event` is stored.
 */
export const ApplicationContent = Type.Union([
  TextContent,
  ReceiptContent,
  GroupMetaContent,
  AccountSyncContent,
  HistoryChunkContent,
  ChannelHistoryContent,
  ReactionContent,
  EditContent,
  DeleteContent,
  PinContent,
  ProfileContent,
  CallRingContent,
  CallAcceptContent,
  CallDeclineContent,
  CallHangupContent,
  CallSdpContent,
  CallIceContent,
  CallStateContent,
  CallEventContent,
  P2pHelloContent,
  P2pSdpContent,
]);
export type ApplicationContent = Static<typeof ApplicationContent>;
