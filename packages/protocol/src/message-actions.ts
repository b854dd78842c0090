import { type Static, Type } from "@sinclair/typebox";
import { Handle, Id, Timestamp } from "./common.js";
import { LIMITS } from "./limits.js";

/**
 * Actions on an earlier message of the same conversation — reactions, edits, deletions for
 * everyone, pins — as application content (encrypted end to end like the message itself). Each
 * names its target by message id (`targetId`); receivers apply it in log order, keep it when the
 * target has not arrived yet, and check who may do it against the MLS-authenticated sender.
 */

/** Most characters of a reaction (a single emoji grapheme is what UIs send; any short label passes). */
export const MAX_REACTION_CHARS = 32;

/**
 * A reaction: 1 to {@link MAX_REACTION_CHARS} characters, no control characters (C0, DEL, C1).
 * UIs send one emoji grapheme; any short string is accepted.
 */
export const Reaction = Type.String({
  minLength: 1,
  maxLength: MAX_REACTION_CHARS,
  pattern: "^[^\\u0000-\\u001f\\u007f-\\u009f]+$",
  description:
    "a reaction: one emoji grapheme as UIs send it, or any short string without control characters",
});
export type Reaction = Static<typeof Reaction>;

/**
 * Adds (or with `remove: true` takes back) the sender account's reaction `emoji` on message
 * `targetId`. One per account per emoji: adding twice is one reaction.
 */
export const ReactionContent = Type.Object({
  v: Type.Literal(1),
  type: Type.Literal("reaction"),
  id: Id,
  targetId: Id,
  emoji: Reaction,
  remove: Type.Optional(Type.Boolean()),
  sentAt: Timestamp,
});
export type ReactionContent = Static<typeof ReactionContent>;

/** Replaces the text of message `targetId`; only from the account that sent it (receivers check). */
export const EditContent = Type.Object({
  v: Type.Literal(1),
  type: Type.Literal("edit"),
  id: Id,
  targetId: Id,
  text: Type.String({ minLength: 1, maxLength: LIMITS.maxTextChars }),
  sentAt: Timestamp,
});
export type EditContent = Static<typeof EditContent>;

/**
 * Deletes message `targetId` for everyone: every device replaces it with a tombstone. From the
 * account that sent it, or in a community channel from a member holding MANAGE_MESSAGES there.
 */
export const DeleteContent = Type.Object({
  v: Type.Literal(1),
  type: Type.Literal("delete"),
  id: Id,
  targetId: Id,
  sentAt: Timestamp,
});
export type DeleteContent = Static<typeof DeleteContent>;

/** Pins (`pinned: true`) or unpins message `targetId`; in a community channel needs MANAGE_MESSAGES. */
export const PinContent = Type.Object({
  v: Type.Literal(1),
  type: Type.Literal("pin"),
  id: Id,
  targetId: Id,
  pinned: Type.Boolean(),
  sentAt: Timestamp,
});
export type PinContent = Static<typeof PinContent>;

/** An account as a reaction or a deletion names it. */
export const ActionAccount = Type.Object({ accountId: Id, handle: Handle });
export type ActionAccount = Static<typeof ActionAccount>;

/** An account that reacted, and when (its device's clock, ms). */
export const Reactor = Type.Object({ accountId: Id, handle: Handle, at: Timestamp });
export type Reactor = Static<typeof Reactor>;

/** One reaction on a message and who reacted with it, by time of reaction. */
export const ReactionTally = Type.Object({
  emoji: Reaction,
  by: Type.Array(Reactor, { maxItems: LIMITS.maxGroupDevices }),
});
export type ReactionTally = Static<typeof ReactionTally>;

/** One edit of a message: the text it set and the editor's time (ms). */
export const EditEntry = Type.Object({
  text: Type.String({ minLength: 1, maxLength: LIMITS.maxTextChars }),
  editedAt: Timestamp,
});
export type EditEntry = Static<typeof EditEntry>;

/**
 * What a stored message carries besides its text, so a history hand-over gives a new device the
 * same view (fields of HistoryMessage; all optional). A deleted message travels with `deletedAt`
 * and an empty text.
 */
export const MESSAGE_STATE_FIELDS = {
  /** The sender's account id (who may edit or delete it). */
  fromAccountId: Type.Optional(Id),
  /** The message it replies to. */
  replyTo: Type.Optional(Id),
  reactions: Type.Optional(Type.Array(ReactionTally, { maxItems: 200 })),
  /** The edits, oldest first; the text is the latest. */
  edits: Type.Optional(Type.Array(EditEntry, { maxItems: 100 })),
  /** The text before the first edit. */
  originalText: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.maxTextChars })),
  /** When it was deleted for everyone (sender's clock, ms): a tombstone. */
  deletedAt: Type.Optional(Timestamp),
  deletedBy: Type.Optional(ActionAccount),
  /** When it was pinned (absent: not pinned). */
  pinnedAt: Type.Optional(Timestamp),
  /** The root message of the channel thread it is a reply in (kept when it is deleted). */
  threadId: Type.Optional(Id),
};

/**
 * An action still waiting on a device for the message it targets (that message has not reached
 * the device yet), as a linked-device history hand-over carries it: the new device was not in the
 * conversation when the action was sent, so it could not get it from the log. The new device keeps
 * it until the message arrives, then applies it like one it received itself.
 */
export const HistoryPendingAction = Type.Object({
  type: Type.Union([
    Type.Literal("reaction"),
    Type.Literal("edit"),
    Type.Literal("delete"),
    Type.Literal("pin"),
  ]),
  /** The action's own id (its content's message id). */
  id: Id,
  conversationId: Id,
  communityId: Type.Optional(Id),
  channelId: Type.Optional(Id),
  /** The message it acts on. */
  targetId: Id,
  /** Who acted (handle, and account id from the MLS credential). */
  from: Handle,
  fromAccountId: Id,
  /** "out" when this account acted. */
  direction: Type.Union([Type.Literal("in"), Type.Literal("out")]),
  /** When (the acting device's clock, ms). */
  at: Timestamp,
  /** Its position in the conversation's group log. */
  seq: Type.Optional(Type.Integer({ minimum: 1 })),
  emoji: Type.Optional(Reaction),
  remove: Type.Optional(Type.Boolean()),
  text: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.maxTextChars })),
  pinned: Type.Optional(Type.Boolean()),
});
export type HistoryPendingAction = Static<typeof HistoryPendingAction>;
