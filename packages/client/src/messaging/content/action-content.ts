import type { ActionRule } from "../actions/apply-action.js";
import type { ActionContent } from "../actions/message-action.js";
import type { ContentHandler, ContentOf } from "./content-handler.js";

/** The handler of an action kind (reaction, edit, delete, pin), with the rule it applies. */
export interface ActionContentHandler<K extends ActionContent["type"]> extends ContentHandler<K> {
  /** How this kind changes the message it targets (also used when this device performs it). */
  readonly rule: ActionRule<ContentOf<K>>;
}

/**
 * The content handler of an action kind: state, not a message of its own (the target's record
 * changes, and carries the result in the history hand-over); applied through `MessageActions` in
 * log order, or kept until its target arrives.
 */
export function actionContentHandler<K extends ActionContent["type"]>(
  type: K,
  rule: ActionRule<ContentOf<K>>,
): ActionContentHandler<K> {
  return {
    type,
    persistence: "state",
    historyHandOver: false,
    scope: "conversation",
    rule,
    async apply(input, { actions }) {
      const { updated, actions: applied } = await actions.receiveLocked(
        input as Parameters<typeof actions.receiveLocked<ContentOf<K>>>[0],
        rule,
      );
      return { updated, actions: applied };
    },
  };
}
