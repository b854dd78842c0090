/**
 * Mentions in the web app: what the composer offers after `@` (members; in a channel also roles,
 * @everyone and @here when this account may mention them) and which `@` tokens of a message are
 * highlighted (those its structured `mentions` name; the SDK derives and checks them).
 */
import { mentionsAsSeenBy } from "@volly/client/handles";
import { parseHandle, type TextMentions } from "@volly/protocol";

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
 * opening bracket, followed by up to 32 characters without white space or `@` — and, for another
 * server's account, one more `@` and up to 261 more (`@alice@b.ex`) — ending at the caret.
 */
export function mentionQueryAt(text: string, caret: number): MentionQuery | undefined {
  const before = text.slice(0, caret);
  const match = /(^|[\s([{])@([^\s@]{0,32}(?:@[^\s@]{0,261})?)$/u.exec(before);
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

/** The message a {@link mentionMarks} call highlights: its mentions and who sent it. */
export interface MarkedMessage {
  /** Its structured mentions (undefined: none to highlight), handles as the sender's server shows them. */
  mentions: TextMentions | undefined;
  /** Whether the SDK found that it mentions this account. */
  mentionsMe: boolean;
  /** The sender's handle as this account's server shows it (`user@server` from another server). */
  from: string;
}

/** This account as {@link mentionMarks} sees it. */
export interface MarkingAccount {
  /** Its handle (bare). */
  handle?: string | undefined;
  /** In a community channel: the role ids it holds there. */
  roleIds?: readonly string[] | undefined;
  /** Its server's name(s) (`host[:port]`, see `ownServerNames`): `@me@<one of them>` is this account. */
  servers?: readonly string[] | undefined;
}

/**
 * The `@` tokens a message's `mentions` name, lowercased without `@` as they can stand in its text,
 * each marked "me" when it names this account (its handle, a role it holds, or @everyone/@here in
 * a message that `mentionsMe`). Handles are carried as the sender's server shows them, bare for its
 * own accounts: whether one is this account is judged as this account's server shows it
 * (`mentionsAsSeenBy`), so a bare `@alice` from `bob@b.example` is `alice@b.example`, not this
 * server's alice. A bare handle also stands for the token qualified by the sender's server
 * (`@alice@b.example` written by bob@b.example is carried as `alice`).
 *
 * @param message the message's mentions, `mentionsMe` and sender
 * @param me this account's handle, server names and, in a community channel, its role ids
 * @param roles the community's roles (ids and names), to name mentioned roles
 */
export function mentionMarks(
  message: MarkedMessage,
  me: MarkingAccount,
  roles: readonly { roleId: string; name: string }[] = [],
): Map<string, MentionMark> {
  const { mentions, mentionsMe, from } = message;
  const marks = new Map<string, MentionMark>();
  if (!mentions) return marks;
  const own = me.servers ?? [];
  const senderServer = parseHandle(from)?.server;
  // The names the sender's server goes by: a bare sender is of this account's server.
  const senderServers = senderServer === undefined ? own : [senderServer];
  for (const sent of mentions.handles ?? []) {
    const h = sent.toLowerCase();
    const seen = mentionsAsSeenBy([h], from, own)[0];
    if (seen === undefined) continue;
    const mark: MentionMark = seen === me.handle ? "me" : "other";
    marks.set(h, mark);
    if (!h.includes("@")) for (const server of senderServers) marks.set(`${h}@${server}`, mark);
  }
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

/**
 * `text` cut into plain parts and the `@` tokens `marks` names (whole tokens, any case). A token
 * goes on as long as a handle or server name would: `@alice` is not highlighted inside
 * `@alice@b.example` nor `@alice.b` (nor `@alice@b.example` inside `@alice@b.example.org` or
 * `…:8443`); a `.` or `:` that ends the sentence ends the token.
 */
export function mentionSegments(text: string, marks: ReadonlyMap<string, MentionMark>): MentionSegment[] {
  if (marks.size === 0) return [{ text }];
  const names = [...marks.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp);
  const pattern = new RegExp(`(?<![\\w@])@(${names.join("|")})(?![\\w@-]|[.:][\\w-])`, "giu");
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
