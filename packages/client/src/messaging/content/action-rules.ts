import type { ActionRules } from "../actions/message-actions.js";
import { deleteHandler } from "./delete.js";
import { editHandler } from "./edit.js";
import { pinHandler } from "./pin.js";
import { reactionHandler } from "./reaction.js";

/** The rule of each action kind, from its handler (what this device applies when it acts itself). */
export const ACTION_RULES: ActionRules = {
  reaction: reactionHandler.rule,
  edit: editHandler.rule,
  delete: deleteHandler.rule,
  pin: pinHandler.rule,
};
