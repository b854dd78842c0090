import type { MessageRecord } from "../message-records.js";
import { actionContentHandler } from "./action-content.js";

/**
 * A reaction (ReactionContent) added or taken back by its sender's account: one per account per
 * emoji, from any member; adding twice or taking back one that is not there changes nothing.
 */
export const reactionHandler = actionContentHandler("reaction", {
  details: (c) => ({ emoji: c.emoji, remove: c.remove === true }),
  async apply(target, action) {
    const emoji = action.emoji;
    if (emoji === undefined) return undefined;
    const tallies = target.reactions ?? [];
    const tally = tallies.find((t) => t.emoji === emoji);
    const has = tally?.by.some((a) => a.accountId === action.fromAccountId) ?? false;
    if (action.remove === true ? !has : has) return undefined;
    const me = { accountId: action.fromAccountId, handle: action.from };
    let next: NonNullable<MessageRecord["reactions"]>;
    if (action.remove === true) {
      next = tallies
        .map((t) => (t.emoji === emoji ? { ...t, by: t.by.filter((a) => a.accountId !== me.accountId) } : t))
        .filter((t) => t.by.length > 0);
    } else if (tally) {
      next = tallies.map((t) => (t.emoji === emoji ? { ...t, by: [...t.by, me] } : t));
    } else {
      next = [...tallies, { emoji, by: [me] }];
    }
    const { reactions: _reactions, ...rest } = target;
    return next.length > 0 ? { ...rest, reactions: next } : rest;
  },
});
