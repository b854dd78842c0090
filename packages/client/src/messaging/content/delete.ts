import { actionContentHandler } from "./action-content.js";

/**
 * A deletion for everyone (DeleteContent): the message becomes a tombstone (body `"deleted"`) —
 * text, files (their pointers and keys), edits, reactions, reply and pin gone — when it comes from the account that sent it, or in a
 * community channel from a member holding MANAGE_MESSAGES there (checked against the community's
 * role table); otherwise ignored. The server removes the ciphertext through its own route (and with it the blobs only that message pointed at).
 */
export const deleteHandler = actionContentHandler("delete", {
  details: () => ({}),
  async apply(target, action, { bySender, inChannel, isModerator }) {
    if (!bySender && !(inChannel && (await isModerator()))) return undefined;
    const {
      replyTo: _r,
      reactions: _x,
      edits: _e,
      originalText: _o,
      editedAt: _t,
      pinnedAt: _p,
      attachments: _f,
      upload: _u,
      ...kept
    } = target;
    return {
      ...kept,
      body: {
        type: "deleted",
        deletedAt: action.at,
        by: { accountId: action.fromAccountId, handle: action.from },
      },
    };
  },
});
