import { actionContentHandler } from "./action-content.js";

/**
 * A pin or unpin (PinContent): by any member, but in a community channel only by a member holding
 * MANAGE_MESSAGES there (checked against the community's role table); the conversation's pinned
 * list follows (`Messaging.pinned`).
 */
export const pinHandler = actionContentHandler("pin", {
  details: (c) => ({ pinned: c.pinned }),
  async apply(target, action, { inChannel, isModerator }) {
    if (action.pinned === undefined || action.pinned === (target.pinnedAt !== undefined)) return undefined;
    if (inChannel && !(await isModerator())) return undefined;
    if (action.pinned) return { ...target, pinnedAt: action.at };
    const { pinnedAt: _pinnedAt, ...unpinned } = target;
    return unpinned;
  },
});
