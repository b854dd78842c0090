import type { DeleteContent, EditContent, PinContent, ReactionContent } from "@volly/protocol";

/** The content kinds that act on an earlier message (see `@volly/protocol` message-actions). */
export type ActionContent = ReactionContent | EditContent | DeleteContent | PinContent;

/** True when two unions are the same set (else never). */
type SameKinds<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
/** Compile-time check that {@link MessageActionType} lists exactly the action content kinds. */
export const ACTION_KINDS_MATCH: SameKinds<ActionContent["type"], MessageActionType> = true;

/** The kinds of action on a message (the content kinds of {@link ActionContent}). */
export type MessageActionType = "reaction" | "edit" | "delete" | "pin";

/**
 * An action on a message — a reaction added or taken back, an edit, a deletion for everyone, a pin
 * or unpin — as {@link Messaging.actions} reports it once applied to the stored message (also for
 * one that waited for its target). `volly receive --json` prints these with their `type`.
 */
export interface MessageAction {
  /** What was done: `"reaction"` (see `remove`), `"edit"`, `"delete"` (for everyone), `"pin"` (see `pinned`). */
  type: MessageActionType;
  /** The action's own id (its content's message id). */
  id: string;
  /** The conversation of the message acted on. */
  conversationId: string;
  /** For a community channel's conversation: the community. */
  communityId?: string;
  /** For a community channel's conversation: the channel. */
  channelId?: string;
  /** The message acted on. */
  targetId: string;
  /** Who acted: handle without `@`. */
  from: string;
  /** Who acted: account id (from the MLS credential). */
  fromAccountId: string;
  /** "out": this account acted (from any of its devices). */
  direction: "in" | "out";
  /** When (the acting device's clock, ms). */
  at: number;
  /** Its position in the conversation's group log (absent for an action of this device not yet sent). */
  seq?: number;
  /** `"reaction"`: the reaction. */
  emoji?: string;
  /** `"reaction"`: true when the reaction was taken back. */
  remove?: boolean;
  /** `"edit"`: the new text. */
  text?: string;
  /** `"pin"`: true pinned, false unpinned. */
  pinned?: boolean;
}

/**
 * The MessageAction of a content from a sender in a conversation; `details` are the fields of its
 * kind (emoji, text, pinned…), given by the kind's rule.
 */
export function actionOf(
  content: ActionContent,
  origin: {
    conversationId: string;
    communityId?: string;
    channelId?: string;
    fromAccountId: string;
    from: string;
    direction: "in" | "out";
    seq?: number;
  },
  details: Partial<MessageAction>,
): MessageAction {
  return {
    type: content.type,
    id: content.id,
    conversationId: origin.conversationId,
    ...(origin.communityId && origin.channelId
      ? { communityId: origin.communityId, channelId: origin.channelId }
      : {}),
    targetId: content.targetId,
    from: origin.from,
    fromAccountId: origin.fromAccountId,
    direction: origin.direction,
    at: content.sentAt,
    ...(origin.seq !== undefined ? { seq: origin.seq } : {}),
    ...details,
  };
}
