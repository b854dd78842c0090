/**
 * Mentions in the web app: what the composer offers after `@` (members; in a channel also roles,
 * @everyone and @here when this account may mention them) and which `@` tokens of a message are
 * highlighted (those its structured `mentions` name; the SDK derives and checks them).
 */
import type { TextMentions } from "@volly/protocol";

/** One entry of the composer's mention list. */
export interface MentionCandidate {
  /** Unique within the list (used for the option's DOM id). */
  key: string;
  /** What follows `@` in the text: a handle, a role's name, `everyone` or `here`. */
  insert: string;
  /** What the option shows first (a display name, a role's name, `@everyone`). */
  label: string;
  /** What it shows after (`@handle`, "role", "notify everyone in this channel"). */
  detail: string;
  kind: "member" | "role" | "everyone" | "here";
}

/** The `@query` being typed before the caret: where its `@` is and what follows it. */
export interface MentionQuery {
  /** Index of the `@` in the text. */
  start: number;
  /** What was typed after `@` up to the caret (may be empty). */
  query: string;
}

/**
 * The mention being typed at `caret`: an `@` at the start of the text or after white space or an
 * opening bracket, followed by up to 32 characters without white space, ending at the caret.
 */
export function mentionQueryAt(text: string, caret: number): MentionQuery | undefined {
  const before = text.slice(0, caret);
  const match = /(^|[\s([{])@([^\s@]{0,32})$/u.exec(before);
  if (!match) return undefined;
  const query = match[2] ?? "";
  return { start: caret - query.length - 1, query };
}

/** The candidates matching `query` (prefix of the inserted name, label or a word of it), at most `max`. */
export function matchingCandidates(
  candidates: readonly MentionCandidate[],
  query: string,
  max = 8,
): MentionCandidate[] {
  const q = query.toLowerCase();
  const matches = (c: MentionCandidate) =>
    c.insert.toLowerCase().startsWith(q) ||
    c.label
      .toLowerCase()
      .split(/\s+/)
      .some((word) => word.startsWith(q));
  return candidates.filter(matches).slice(0, max);
}

/** The text with the `@query` at `at` replaced by `@insert ` and the caret after it. */
export function applyMention(
  text: string,
  at: MentionQuery,
  insert: string,
): { text: string; caret: number } {
  const end = at.start + 1 + at.query.length;
  const inserted = `@${insert} `;
  return { text: text.slice(0, at.start) + inserted + text.slice(end), caret: at.start + inserted.length };
}

/** How a highlighted `@` token is shown: a mention of this account, or of someone else. */
export type MentionMark = "me" | "other";

/** A part of a text: plain, or an `@` mention to highlight. */
export type MentionSegment = { text: string; mark?: MentionMark };

/**
 * The `@` tokens a message's `mentions` name, lowercased without `@`, each marked "me" when it
 * names this account (its handle, a role it holds, or @everyone/@here in a message that
 * `mentionsMe`).
 *
 * @param mentions the message's structured mentions (undefined: none to highlight)
 * @param mentionsMe whether the SDK found that it mentions this account
 * @param me this account's handle and, in a community channel, its role ids
 * @param roles the community's roles (ids and names), to name mentioned roles
 */
export function mentionMarks(
  mentions: TextMentions | undefined,
  mentionsMe: boolean,
  me: { handle?: string | undefined; roleIds?: readonly string[] | undefined },
  roles: readonly { roleId: string; name: string }[] = [],
): Map<string, MentionMark> {
  const marks = new Map<string, MentionMark>();
  if (!mentions) return marks;
  for (const h of mentions.handles ?? []) marks.set(h.toLowerCase(), h === me.handle ? "me" : "other");
  for (const id of mentions.roles ?? []) {
    const role = roles.find((r) => r.roleId === id);
    if (role) marks.set(role.name.toLowerCase(), me.roleIds?.includes(id) ? "me" : "other");
  }
  if (mentions.everyone) marks.set("everyone", mentionsMe ? "me" : "other");
  if (mentions.here) marks.set("here", mentionsMe ? "me" : "other");
  return marks;
}

/** Characters with a meaning in a regular expression, escaped. */
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** `text` cut into plain parts and the `@` tokens `marks` names (whole tokens, any case). */
export function mentionSegments(text: string, marks: ReadonlyMap<string, MentionMark>): MentionSegment[] {
  if (marks.size === 0) return [{ text }];
  const names = [...marks.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp);
  const pattern = new RegExp(`(?<![\\w@])@(${names.join("|")})(?![\\w-])`, "giu");
  const out: MentionSegment[] = [];
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    const at = match.index ?? 0;
    if (at > last) out.push({ text: text.slice(last, at) });
    out.push({ text: match[0], mark: marks.get((match[1] ?? "").toLowerCase()) ?? "other" });
    last = at + match[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last) });
  return out;
}
