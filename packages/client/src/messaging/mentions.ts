import {
  MAX_MENTIONED_HANDLES,
  MAX_MENTIONED_ROLES,
  parseHandle,
  SERVER_NAME_PATTERN,
  type TextMentions,
} from "@volly/protocol";

/**
 * How long after it was sent an `@here` still mentions the receiving account (ms). `@here` means
 * "the members online now" (Discord); the receiving device cannot know whether its user was online,
 * so it counts `@here` only when the message reached it within this window of `sentAt` — a device
 * that was off when it was sent gets it later and is not mentioned.
 */
export const HERE_WINDOW_MS = 5 * 60 * 1000;

/** SERVER_NAME_PATTERN without its anchors: `host` or `host:port`. */
const SERVER_NAME = SERVER_NAME_PATTERN.slice(1, -1);

/**
 * `@` then a handle (HANDLE_PATTERN, in any case: `@Bob` names `bob`), optionally qualified by a
 * server name (`@bob@b.example`, another server's account), not preceded by a word character or
 * `@` (so an e-mail address `bob@example.com` is not a mention). A trailing `.` ends the sentence,
 * not the handle.
 */
const HANDLE_MENTION = new RegExp(
  `(?<![\\w@])@([a-z0-9][a-z0-9_.-]{2,31}(?:@${SERVER_NAME})?)(?![a-z0-9_-])`,
  "gi",
);

/** `@everyone` / `@here` as whole words. */
const EVERYONE = /(?<![\w@])@everyone(?![\w-])/i;
const HERE = /(?<![\w@])@here(?![\w-])/i;

/** A community role as mention derivation sees it. */
export interface MentionableRole {
  /** The role's id. */
  roleId: string;
  /** Its name, as `@Name` in a text (matched without regard to case). */
  name: string;
}

/**
 * The handles a text mentions as `@handle` or `@handle@server`, without the first `@`, lowercase,
 * each once, in order of first mention (for bare ones, the same tokens `volly receive --json`
 * printed as `mentions` before mentions were structured). A handle qualified by one of
 * `ownServers` is given bare, as the sender's server shows its own accounts.
 *
 * @param text a message's text
 * @param ownServers the sending client's server name(s) (`ownServerNames`; default none)
 * @returns at most every handle-shaped `@` token; the caller bounds the count
 */
export function handleMentions(text: string, ownServers: readonly string[] = []): string[] {
  const found = new Set<string>();
  for (const match of text.matchAll(HANDLE_MENTION)) {
    const parts = parseHandle((match[1] ?? "").replace(/\.+$/, ""));
    if (!parts) continue;
    const { user, server } = parts;
    found.add(server === undefined || ownServers.includes(server) ? user : `${user}@${server}`);
  }
  return [...found];
}

/**
 * The handles of a received message's mentions as this client's server names those accounts.
 * Mentions name accounts as the SENDER's server shows them — bare for that server's accounts — so
 * a bare `alice` from `bob@a.example` is `alice@a.example`, and `carol@b.example` is `carol` when
 * this client's server is b.example. Invalid handles are dropped; duplicates merged.
 *
 * @param handles the content's `mentions.handles`
 * @param senderHandle the sender's handle as this client's server shows it (`MessageRecord.from`)
 * @param ownServers this client's server name(s) (`ownServerNames`)
 */
export function mentionsAsSeenBy(
  handles: readonly string[],
  senderHandle: string,
  ownServers: readonly string[],
): string[] {
  const senderServer = parseHandle(senderHandle)?.server;
  const out = new Set<string>();
  for (const handle of handles) {
    const parts = parseHandle(handle);
    if (!parts) continue;
    const server = parts.server ?? senderServer;
    out.add(server === undefined || ownServers.includes(server) ? parts.user : `${parts.user}@${server}`);
  }
  return [...out];
}

/** True when `text` holds `@` + `name` as a whole token (case-insensitive). */
function mentionsName(text: string, name: string): boolean {
  const lower = text.toLowerCase();
  const token = `@${name.toLowerCase()}`;
  for (let at = lower.indexOf(token); at >= 0; at = lower.indexOf(token, at + 1)) {
    const before = at === 0 ? "" : (lower[at - 1] ?? "");
    const after = lower[at + token.length] ?? "";
    if (!/[\w@]/.test(before) && !/[\w-]/.test(after)) return true;
  }
  return false;
}

/**
 * Who a text mentions, as TextContent `mentions` carries it, or undefined when nobody:
 * - `@handle` and `@handle@server` tokens (the first MAX_MENTIONED_HANDLES), in every conversation,
 *   as the sender's server shows those accounts (bare for its own);
 * - in a community channel (`channel` given): `@everyone`, `@here`, and `@RoleName` for each of
 *   `channel.roles` (not @everyone's own role; the first MAX_MENTIONED_ROLES matched), when
 *   `channel.mayMentionRoles` — without MENTION_EVERYONE a role name in the text stays plain text.
 * Outside channels `@everyone` and `@here` are plain text (a group is small enough to name).
 *
 * @param text the message's text
 * @param channel for a community channel: its community's roles and whether the sender may
 *   mention them (holds MENTION_EVERYONE there); undefined elsewhere
 * @param ownServers the sending client's server name(s) (`ownServerNames`): `@alice@<one of them>`
 *   is carried as `alice` (see {@link handleMentions})
 */
export function deriveMentions(
  text: string,
  channel?: { roles: readonly MentionableRole[]; mayMentionRoles: boolean },
  ownServers: readonly string[] = [],
): TextMentions | undefined {
  const mentions: TextMentions = {};
  const handles = handleMentions(text, ownServers)
    .filter((h) => !channel || (h !== "everyone" && h !== "here"))
    .slice(0, MAX_MENTIONED_HANDLES);
  if (handles.length) mentions.handles = handles;
  if (channel) {
    if (EVERYONE.test(text)) mentions.everyone = true;
    if (HERE.test(text)) mentions.here = true;
    if (channel.mayMentionRoles) {
      const roles = channel.roles
        .filter((r) => r.name !== "@everyone" && r.name.trim() !== "" && mentionsName(text, r.name))
        .map((r) => r.roleId)
        .slice(0, MAX_MENTIONED_ROLES);
      if (roles.length) mentions.roles = roles;
    }
  }
  return Object.keys(mentions).length ? mentions : undefined;
}

/** Whether the mentions need the "mention-everyone" declaration (and MENTION_EVERYONE). */
export function needsMentionEveryone(mentions: TextMentions | undefined): boolean {
  return mentions?.everyone === true || mentions?.here === true || (mentions?.roles?.length ?? 0) > 0;
}

/** The receiving account as {@link mentionsMeOf} checks it. */
export interface MentionTarget {
  /** This account's handle. */
  handle: string;
  /** In a community channel: the role ids this account holds there; undefined elsewhere. */
  roleIds?: readonly string[];
}

/**
 * Whether a received message mentions this account (MessageRecord `mentionsMe`): by handle in any
 * conversation; in a community channel also by `@everyone`, by a role it holds, or by `@here` when
 * `live` — but those three only when `privileged` (the sender holds MENTION_EVERYONE in the channel;
 * otherwise they are ignored, as the server would have refused them had they been declared).
 *
 * @param mentions the content's mentions (undefined: none), `handles` as this client's server
 *   names the accounts (see {@link mentionsAsSeenBy})
 * @param me this account (with `roleIds` only in a community channel)
 * @param privileged whether the sender holds MENTION_EVERYONE in the channel
 * @param live whether the message arrived within {@link HERE_WINDOW_MS} of being sent
 */
export function mentionsMeOf(
  mentions: TextMentions | undefined,
  me: MentionTarget,
  privileged: boolean,
  live: boolean,
): boolean {
  if (!mentions) return false;
  if (mentions.handles?.includes(me.handle)) return true;
  if (!me.roleIds || !privileged) return false;
  if (mentions.everyone || (mentions.here && live)) return true;
  return mentions.roles?.some((r) => me.roleIds?.includes(r)) ?? false;
}

/**
 * The mentions as this device keeps them: `roles`, `everyone` and `here` only when the sender was
 * `privileged` in a community channel (`inChannel`), else handles only (undefined when nothing is left).
 */
export function acceptedMentions(
  mentions: TextMentions | undefined,
  inChannel: boolean,
  privileged: boolean,
): TextMentions | undefined {
  if (!mentions) return undefined;
  if (inChannel && privileged) return mentions;
  return mentions.handles?.length ? { handles: mentions.handles } : undefined;
}
