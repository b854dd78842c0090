import type { MessageRecord, TextBody } from "../message-records.js";
import type { ActionContent, MessageAction } from "./message-action.js";

/** A stored text message (what actions apply to). */
export type TextRecord = MessageRecord & { body: TextBody };

/** What an action rule knows about who acts on the target. */
export interface ActionStanding {
  /** The acting account sent the target (`fromAccountId`, from the MLS credential). */
  bySender: boolean;
  /** The target is in a community channel's conversation. */
  inChannel: boolean;
  /**
   * Whether the acting account holds MANAGE_MESSAGES in that channel (asked only when the answer
   * matters; reads the community's role table).
   */
  isModerator(): Promise<boolean>;
}

/**
 * How one action kind changes the message it targets: a part of the kind's content handler
 * (`content/reaction.ts`, `edit.ts`, `delete.ts`, `pin.ts`).
 */
export interface ActionRule<C extends ActionContent> {
  /** The MessageAction fields of this kind (emoji, text, pinned…). */
  details(content: C): Partial<MessageAction>;
  /**
   * The new record, or undefined when the action changes nothing or is not allowed (receivers
   * ignore it; the sending SDK refuses it first with VOLLY_E_FORBIDDEN where it can tell).
   */
  apply(
    target: TextRecord,
    action: MessageAction,
    standing: ActionStanding,
  ): Promise<MessageRecord | undefined>;
}

/**
 * Applies one action to its target with the kind's rule. Nothing applies to a tombstone, a
 * membership event, or a message of another conversation (undefined).
 */
export function applyAction(
  target: MessageRecord,
  action: MessageAction,
  rule: ActionRule<ActionContent>,
  isModerator: () => Promise<boolean>,
): Promise<MessageRecord | undefined> {
  if (target.conversationId !== action.conversationId || target.body.type !== "text") {
    return Promise.resolve(undefined);
  }
  const standing: ActionStanding = {
    bySender: target.fromAccountId !== undefined && target.fromAccountId === action.fromAccountId,
    inChannel: target.channelId !== undefined,
    isModerator,
  };
  return rule.apply(target as TextRecord, action, standing);
}
