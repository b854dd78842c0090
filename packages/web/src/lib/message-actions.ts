/**
 * What the user may do with a message, and how reactions and replies read: pure functions the
 * chat components share, so the toolbar, the context menu and the tests agree.
 */
import type { MessageReaction, MessageRecord } from "../worker/rpc-types.js";
import { hideSpoilers } from "./format/spoiler-text.js";

/** The actions the message toolbar and menu offer, in the order they show. */
export type MessageActionId = "react" | "reply" | "thread" | "edit" | "pin" | "unpin" | "delete";

/** What decides which actions a message offers (besides the message itself). */
export interface ActionContext {
  /** In a community channel: this account holds MANAGE_MESSAGES there. */
  canManage: boolean;
  /** A community channel's conversation (pins need MANAGE_MESSAGES there). */
  inChannel: boolean;
  /** This device can no longer send here (left the group). */
  readOnly: boolean;
}

/**
 * The actions a message offers: react, reply, pin and delete on any text message (pin in a channel
 * only with MANAGE_MESSAGES); "Reply in thread" on a community channel's main-timeline messages
 * (threads do not nest); edit on this account's own. A tombstone or a membership line offers
 * nothing but "delete" (for me); a group this device left only "delete" (for me).
 */
export function availableActions(message: MessageRecord, ctx: ActionContext): MessageActionId[] {
  if (message.body.type !== "text") return [];
  if (ctx.readOnly) return ["delete"];
  const out: MessageActionId[] = ["react", "reply"];
  if (ctx.inChannel && message.threadId === undefined) out.push("thread");
  if (isOwn(message)) out.push("edit");
  if (!ctx.inChannel || ctx.canManage) out.push(message.pinnedAt === undefined ? "pin" : "unpin");
  out.push("delete");
  return out;
}

/** Whether the message is this account's (sent from any of its devices). */
export function isOwn(message: MessageRecord): boolean {
  return message.direction === "out";
}

/**
 * Whether "Delete for everyone" is offered: a live text message of this account, or anyone's in a
 * community channel where this account holds MANAGE_MESSAGES (the SDK and server check again).
 */
export function canDeleteForEveryone(message: MessageRecord, ctx: ActionContext): boolean {
  if (message.body.type !== "text" || ctx.readOnly) return false;
  return isOwn(message) || (ctx.inChannel && ctx.canManage);
}

/**
 * A reaction chip's accessible name: "👍 2 reactions: Ada Lovelace, Bob Node; you reacted". The
 * names are the other accounts'; "you reacted" says this account is among them.
 */
export function reactionLabel(
  reaction: MessageReaction,
  myAccountId: string | undefined,
  nameOf: (handle: string) => string,
): string {
  const count = reaction.by.length;
  const mine = reaction.by.some((r) => r.accountId === myAccountId);
  const others = reaction.by.filter((r) => r.accountId !== myAccountId).map((r) => nameOf(r.handle));
  let label = `${reaction.emoji} ${count} reaction${count === 1 ? "" : "s"}`;
  if (others.length > 0) label += `: ${others.join(", ")}`;
  if (mine) label += `${others.length > 0 ? ";" : ":"} you reacted`;
  return label;
}

/** Whether this account reacted with this emoji. */
export function reactedByMe(reaction: MessageReaction, myAccountId: string | undefined): boolean {
  return reaction.by.some((r) => r.accountId === myAccountId);
}

/** Longest quoted snippet of a replied-to message, in characters. */
export const SNIPPET_CHARS = 120;

/** A one-line snippet of a text for a quote: spoilers masked, whitespace runs collapsed, cut with "…". */
export function snippet(text: string, max = SNIPPET_CHARS): string {
  const line = hideSpoilers(text).replace(/\s+/g, " ").trim();
  return line.length <= max ? line : `${line.slice(0, max - 1).trimEnd()}…`;
}

/**
 * What a reply quotes: the original when it is a text message here, or "deleted" when it is a
 * tombstone or not on this device (deleted for me, or never received).
 */
export type QuotedOriginal = { kind: "text"; message: MessageRecord } | { kind: "deleted" };

/** Finds what a reply to `replyTo` quotes in the loaded messages. */
export function quotedOriginal(list: readonly MessageRecord[], replyTo: string): QuotedOriginal {
  const original = list.find((m) => m.id === replyTo);
  return original && original.body.type === "text"
    ? { kind: "text", message: original }
    : { kind: "deleted" };
}

/** The label and icon of each action, shared by the toolbar and the menu. */
export const ACTION_ITEMS = {
  react: { label: "React", icon: "smile" },
  reply: { label: "Reply", icon: "reply" },
  thread: { label: "Reply in thread", icon: "message" },
  edit: { label: "Edit", icon: "edit" },
  pin: { label: "Pin", icon: "pin" },
  unpin: { label: "Unpin", icon: "pin" },
  delete: { label: "Delete", icon: "trash" },
} as const satisfies { readonly [A in MessageActionId]: { label: string; icon: string } };
