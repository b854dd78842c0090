import type { MessageReaction, Reactor } from "../message-records.js";
import { actionContentHandler } from "./action-content.js";

/**
 * A reaction (ReactionContent) added or taken back by its sender's account: one per account per
 * emoji, from any member; adding twice or taking back one that is not there changes nothing.
 * Reactors and emojis are kept in time order (`at`, then account id; emojis by their first
 * reaction), so devices that applied them in different orders show the same.
 */
export const reactionHandler = actionContentHandler("reaction", {
  details: (c) => ({ emoji: c.emoji, remove: c.remove === true }),
  async apply(target, action) {
    const emoji = action.emoji;
    if (emoji === undefined) return undefined;
    const tallies = target.reactions ?? [];
    const has = tallies.some(
      (t) => t.emoji === emoji && t.by.some((a) => a.accountId === action.fromAccountId),
    );
    if (action.remove === true ? !has : has) return undefined;
    const reactor: Reactor = { accountId: action.fromAccountId, handle: action.from, at: action.at };
    const others = tallies.filter((t) => t.emoji !== emoji);
    const by = (tallies.find((t) => t.emoji === emoji)?.by ?? []).filter(
      (a) => a.accountId !== reactor.accountId,
    );
    if (action.remove !== true) by.push(reactor);
    by.sort(byTime);
    const next = (by.length > 0 ? [...others, { emoji, by }] : others).sort(byFirstReaction);
    const { reactions: _reactions, ...rest } = target;
    return next.length > 0 ? { ...rest, reactions: next } : rest;
  },
});

function byTime(a: Reactor, b: Reactor): number {
  return a.at - b.at || (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : 0);
}

function byFirstReaction(a: MessageReaction, b: MessageReaction): number {
  const first = (t: MessageReaction) => t.by[0] as Reactor;
  return byTime(first(a), first(b)) || (a.emoji < b.emoji ? -1 : a.emoji > b.emoji ? 1 : 0);
}
