import { actionContentHandler } from "./action-content.js";

/**
 * An edit (EditContent): replaces the text of a message, only when it comes from the account that
 * sent the message (the MLS-authenticated sender; a forged edit is ignored). The record keeps the
 * original text and every edit (`originalText`, `edits`, `editedAt`).
 */
export const editHandler = actionContentHandler("edit", {
  details: (c) => ({ text: c.text }),
  async apply(target, action, { bySender }) {
    if (!bySender || action.text === undefined) return undefined;
    return {
      ...target,
      body: { type: "text", text: action.text },
      originalText: target.originalText ?? target.body.text,
      edits: [...(target.edits ?? []), { text: action.text, editedAt: action.at }],
      editedAt: action.at,
    };
  },
});
