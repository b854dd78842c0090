import { actionContentHandler } from "./action-content.js";

/**
 * An edit (EditContent): replaces the text of a message, only when it comes from the account that
 * sent the message (the MLS-authenticated sender; a forged edit is ignored). The record keeps the
 * original text and every edit (`originalText`, `edits`, `editedAt`). The latest edit by its
 * sender's time wins, whatever order the edits arrive in (two devices of the sender edit one after
 * the other; each device sees its own edit before the other's): every device shows the same text.
 * Edits of the same millisecond are ordered by text, so that too is the same everywhere.
 */
export const editHandler = actionContentHandler("edit", {
  details: (c) => ({ text: c.text }),
  async apply(target, action, { bySender }) {
    if (!bySender || action.text === undefined) return undefined;
    const edits = [...(target.edits ?? []), { text: action.text, editedAt: action.at }].sort(
      (a, b) => a.editedAt - b.editedAt || (a.text < b.text ? -1 : a.text > b.text ? 1 : 0),
    );
    const latest = edits[edits.length - 1] ?? { text: action.text, editedAt: action.at };
    return {
      ...target,
      body: { type: "text", text: latest.text },
      originalText: target.originalText ?? target.body.text,
      edits,
      editedAt: latest.editedAt,
    };
  },
});
