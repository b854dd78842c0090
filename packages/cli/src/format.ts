import {
  type ConversationRecord,
  entityTypeOf,
  handleMentions,
  type MembershipBody,
  type MembershipChange,
  type MembershipParty,
  type MessageAction,
  type MessageBody,
  type MessageRecord,
} from "@volly/client";
import type { AttachmentPointer, EntityType } from "@volly/protocol";

/**
 * Characters another party could use to take over a terminal or disguise text: C0/C1 controls
 * (ESC starts ANSI sequences, CR rewrites a line, BEL…) and Unicode bidirectional controls.
 */
const UNPRINTABLE = /[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/**
 * `text` (a name, title or handle someone else chose) made safe to print on one terminal line:
 * every control or bidi character becomes U+FFFD.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, "\uFFFD");
}

/**
 * A message's text made safe to print: lines are kept, but each continuation line is indented
 * (so a message cannot pass for several) and other control characters become U+FFFD.
 */
function printableText(text: string): string {
  return text
    .split(/\r?\n/)
    .map((line) => printable(line))
    .join("\n    ");
}

/** A body of one kind. */
type BodyOf<K extends MessageBody["type"]> = Extract<MessageBody, { type: K }>;

/** How `receive` and `chat` print the records of one body kind. */
interface KindFormat<K extends MessageBody["type"]> {
  /** The JSON line (`--json`); `conversation` is the conversation's title, when known. */
  json(m: MessageRecord, body: BodyOf<K>, conversation: string | undefined): Record<string, unknown>;
  /**
   * What a text line shows after the time (and the conversation's label); `fromType` is the
   * sender's entity type when known (a non-human sender is marked, see {@link senderLabel}).
   */
  text(
    m: MessageRecord,
    body: BodyOf<K>,
    ownAccountId: string | undefined,
    fromType: EntityType | undefined,
  ): string;
}

/**
 * The entity type of a record's sender: this account's own (`ownType`) for an outgoing record, else
 * the sender's as the conversation's members record it (`entityTypeOf`: "human" when not known).
 */
export function fromTypeOf(
  m: Pick<MessageRecord, "direction" | "from" | "fromAccountId">,
  conversation: Pick<ConversationRecord, "members" | "formerMembers"> | undefined,
  ownType: EntityType,
): EntityType {
  if (m.direction === "out") return ownType;
  return conversation ? entityTypeOf(conversation, { accountId: m.fromAccountId, handle: m.from }) : "human";
}

/** A sender as a text line names it: `bob`, or `echo [bot]` for a sender that is not a human. */
export function senderLabel(handle: string, fromType: EntityType | undefined): string {
  return fromType !== undefined && fromType !== "human"
    ? `${printable(handle)} [${fromType}]`
    : printable(handle);
}

/**
 * Every body kind and how it is printed. The mapped type makes TypeScript refuse a kind of
 * `MessageBody` without a format, so `receive` and `chat` never print a record as empty text.
 */
const KIND_FORMATS: { readonly [K in MessageBody["type"]]: KindFormat<K> } = {
  text: {
    // The shape scripts depend on, plus `type`, `replyTo`, `threadId`, `mentions` (handles: the content's when
    // it carries them, else the text's `@handle` tokens) and `mentionsMe` when it mentions this account.
    json: (m, body, conversation) => ({
      type: "message",
      id: m.id,
      conversationId: m.conversationId,
      from: m.from,
      text: body.text,
      sentAt: m.sentAt,
      ...(conversation !== undefined ? { conversation } : {}),
      ...(m.replyTo !== undefined ? { replyTo: m.replyTo } : {}),
      mentions: m.mentions ? (m.mentions.handles ?? []) : mentionsOf(body.text),
      ...(m.mentionsMe ? { mentionsMe: true } : {}),
      ...(m.threadId !== undefined ? { threadId: m.threadId } : {}),
      ...(m.editedAt !== undefined ? { editedAt: m.editedAt } : {}),
      ...(m.reactions?.length
        ? { reactions: Object.fromEntries(m.reactions.map((r) => [r.emoji, r.by.map((a) => a.handle)])) }
        : {}),
    }),
    text: (m, body, _own, fromType) =>
      `${senderLabel(m.from, fromType)}: ${m.threadId !== undefined ? `(in thread ${m.threadId}) ` : ""}${m.replyTo !== undefined ? `(reply to ${m.replyTo}) ` : ""}${printableText(body.text)}${m.editedAt !== undefined ? " (edited)" : ""}`,
  },
  deleted: {
    json: (m, body, conversation) => ({
      type: "message",
      id: m.id,
      conversationId: m.conversationId,
      from: m.from,
      sentAt: m.sentAt,
      ...(conversation !== undefined ? { conversation } : {}),
      ...(m.threadId !== undefined ? { threadId: m.threadId } : {}),
      deleted: true,
      deletedAt: body.deletedAt,
      deletedBy: body.by.handle,
    }),
    text: (m, _body, _own, fromType) => `${senderLabel(m.from, fromType)}: (message deleted)`,
  },
  call: {
    json: (m, body, conversation) => ({
      event: "call",
      id: m.id,
      conversationId: m.conversationId,
      from: m.from,
      ...(conversation !== undefined ? { conversation } : {}),
      callId: body.callId,
      media: body.media,
      outcome: body.outcome,
      ...(body.durationMs !== undefined ? { durationMs: body.durationMs } : {}),
      at: m.sentAt,
    }),
    text: (m, body, _own, fromType) => `${senderLabel(m.from, fromType)}: ${callSentence(body)}`,
  },
  membership: {
    json: (m, body, conversation) => ({
      event: "membership",
      id: m.id,
      conversationId: m.conversationId,
      ...(conversation !== undefined ? { conversation } : {}),
      change: body.change,
      by: body.actor.handle,
      members: body.subjects.map((s) => s.handle),
      ...(body.name !== undefined ? { name: body.name } : {}),
      at: m.sentAt,
    }),
    text: (_m, body, ownAccountId) => membershipSentence(body, ownAccountId),
  },
};

/**
 * A call's record as one phrase: "Missed call", "Declined video call", "Call, 3:12" (minutes and
 * seconds from the answer to the hang-up; hours when it lasted that long).
 */
export function callSentence(body: BodyOf<"call">): string {
  const kind = body.media === "video" ? "video call" : "call";
  if (body.outcome === "missed") return `Missed ${kind}`;
  if (body.outcome === "declined") return `Declined ${kind}`;
  const name = `${kind.charAt(0).toUpperCase()}${kind.slice(1)}`;
  if (body.durationMs === undefined) return name;
  const seconds = Math.floor(body.durationMs / 1000);
  const [h, m, s] = [Math.floor(seconds / 3600), Math.floor(seconds / 60) % 60, seconds % 60];
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${name}, ${h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`}`;
}

/**
 * The handles a text mentions as `@handle`, without `@`, each once, in order of first mention
 * (a trailing `.` ends the sentence, not the handle): for messages whose content carries no
 * mentions (sent by an older client, or kept from before mentions were structured).
 */
export function mentionsOf(text: string): string[] {
  return handleMentions(text);
}

/**
 * The JSON line `receive --json` prints for an action on a message: `{type: "reaction"|"edit"|
 * "delete"|"pin", id, conversationId, messageId, from, at, conversation?}` plus, by type, `emoji` and
 * `removed`, `text`, or `pinned` (and `communityId`, `channelId` in a community channel).
 */
export function actionJson(a: MessageAction, conversation?: string): Record<string, unknown> {
  return {
    type: a.type,
    id: a.id,
    conversationId: a.conversationId,
    ...(conversation !== undefined ? { conversation } : {}),
    messageId: a.targetId,
    from: a.from,
    at: a.at,
    ...(a.emoji !== undefined ? { emoji: a.emoji, removed: a.remove === true } : {}),
    ...(a.text !== undefined ? { text: a.text } : {}),
    ...(a.pinned !== undefined ? { pinned: a.pinned } : {}),
    ...(a.channelId ? { communityId: a.communityId, channelId: a.channelId } : {}),
  };
}

/** What a text line says an action did, by action type (TypeScript refuses a type without one). */
const ACTION_SENTENCES: { readonly [K in MessageAction["type"]]: (a: MessageAction) => string } = {
  reaction: (a) =>
    a.remove
      ? `took back ${printable(a.emoji ?? "")} on ${a.targetId}`
      : `reacted ${printable(a.emoji ?? "")} to ${a.targetId}`,
  edit: (a) => `edited ${a.targetId}: ${printableText(a.text ?? "")}`,
  delete: (a) => `deleted ${a.targetId}`,
  pin: (a) => `${a.pinned ? "pinned" : "unpinned"} ${a.targetId}`,
};

/** An action as one readable line among several conversations: `[HH:MM] [label] bob reacted 👍 to MSGID`. */
export function actionLine(a: MessageAction, label: string): string {
  return `[${clock(a.at)}] [${label}] ${printable(a.from)} ${ACTION_SENTENCES[a.type](a)}`;
}

/** The format of a record's body kind. */
function formatOf(m: MessageRecord): KindFormat<MessageBody["type"]> {
  return KIND_FORMATS[m.body.type] as KindFormat<MessageBody["type"]>;
}

/**
 * The JSON line `receive --json` and `chat --json` print for a record. A message:
 * `{id, conversationId, from, text, sentAt, conversation}`; a membership event:
 * `{event: "membership", id, conversationId, conversation, change, by, members, name?, at}` (handles;
 * `name` for a rename). `conversation`, the conversation's title (a group's name, or the other
 * person's handle, `#name` for a channel), is added when known; a record of a community channel also
 * carries `communityId` and `channelId`, and a message given in a channel's shared history
 * `sharedBy` (the handle of the member whose device shared it). A message with files has
 * `attachments: [{id, name, size, mime, sha256}]` (`id` and `sha256`: the blob id, the SHA-256 of
 * the ciphertext; `size`: plaintext bytes). A message gets `fromType`, the sender's entity type
 * (human, bot, agent, service, device), when the caller passes it.
 */
export function messageJson(
  m: MessageRecord,
  conversation?: string,
  fromType?: EntityType,
): Record<string, unknown> {
  const channel = m.channelId ? { communityId: m.communityId, channelId: m.channelId } : {};
  const shared = m.sharedBy !== undefined ? { sharedBy: m.sharedBy } : {};
  const files =
    m.body.type === "text" && m.attachments?.length ? { attachments: m.attachments.map(attachmentJson) } : {};
  const type = fromType !== undefined && m.body.type !== "membership" ? { fromType } : {};
  return { ...formatOf(m).json(m, m.body, conversation), ...type, ...channel, ...shared, ...files };
}

/** One file of a message as `receive --json` prints it. */
export function attachmentJson(a: AttachmentPointer): {
  id: string;
  name: string;
  size: number;
  mime: string;
  sha256: string;
} {
  return { id: a.blobId, name: a.name, size: a.size, mime: a.mime, sha256: a.blobId };
}

/** ` [file: name (size)]` for each file of a message, for the readable lines ("" without files). */
function filesSuffix(m: MessageRecord): string {
  if (m.body.type !== "text" || !m.attachments?.length) return "";
  return m.attachments.map((a) => ` [${a.kind}: ${printable(a.name)} (${a.size} bytes)]`).join("");
}

/** `HH:MM` of a timestamp (ms since the Unix epoch), local time. */
function clock(ms: number): string {
  return new Date(ms).toTimeString().slice(0, 5);
}

/**
 * A record as one readable line within its conversation (`volly chat`): `[HH:MM] handle: text`
 * (followed by `(shared by @alice)` for a message from a channel's shared history), or for a
 * membership event `[HH:MM] alice added carol` ("you" for `ownAccountId`'s account). A sender of
 * `fromType` other than human is marked: `[HH:MM] echo [bot]: hi`.
 */
export function messageLine(m: MessageRecord, ownAccountId?: string, fromType?: EntityType): string {
  const shared = m.sharedBy !== undefined ? `  (shared by @${printable(m.sharedBy)})` : "";
  return `[${clock(m.sentAt)}] ${formatOf(m).text(m, m.body, ownAccountId, fromType)}${filesSuffix(m)}${shared}`;
}

/** How a conversation is named in front of its messages: a group's name, `@handle` for a direct one. */
export function conversationLabel(c: Pick<ConversationRecord, "kind" | "title" | "peerHandle">): string {
  return printable(c.kind === "direct" ? `@${c.peerHandle ?? c.title}` : c.title);
}

/**
 * A record as one readable line among several conversations (`volly receive`):
 * `[HH:MM] [Weekend trip] bob: count me in`, `[HH:MM] [@bob] bob: hi` in a direct conversation,
 * `[HH:MM] [Weekend trip] alice added carol` for a membership event; a sender of `fromType` other
 * than human is marked: `[HH:MM] [Weekend trip] echo [bot]: hi`.
 */
export function inboxLine(
  m: MessageRecord,
  label: string,
  ownAccountId?: string,
  fromType?: EntityType,
): string {
  return `[${clock(m.sentAt)}] [${label}] ${formatOf(m).text(m, m.body, ownAccountId, fromType)}${filesSuffix(m)}`;
}

/**
 * A membership event as a sentence of handles: `alice added carol and dave`, `carol joined` (added
 * by herself), `alice removed carol`, `carol left`, `alice renamed the group to 'Weekend trip'`,
 * `alice added you`; the account `ownAccountId` is "you".
 */
export function membershipSentence(body: MembershipBody, ownAccountId?: string): string {
  const name = (p: MembershipParty) => (p.accountId === ownAccountId ? "you" : printable(p.handle));
  return SENTENCES[body.change](name(body.actor), listOf(body.subjects.map(name)), body);
}

/** The sentence of each kind of membership change, from the actor's and the subjects' names. */
const SENTENCES: {
  readonly [C in MembershipChange]: (actor: string, subjects: string, body: MembershipBody) => string;
} = {
  added: (actor, subjects, body) =>
    body.subjects.length === 1 && body.subjects[0]?.accountId === body.actor.accountId
      ? `${actor} joined`
      : `${actor} added ${subjects}`,
  removed: (actor, subjects) => `${actor} removed ${subjects}`,
  left: (actor) => `${actor} left`,
  renamed: (actor, _subjects, body) => `${actor} renamed the group to '${printable(body.name ?? "")}'`,
  joined: (actor, subjects) => `${actor} added ${subjects}`,
};

/** `a`, `a and b`, `a, b and c`. */
function listOf(names: string[]): string {
  if (names.length <= 1) return names[0] ?? "";
  return `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}

/**
 * Orders messages as they were written: by the sender's clock (`sentAt`), then by their position
 * in the group's log (`seq`), for `Array.prototype.sort`.
 */
export function byTimeWritten(a: MessageRecord, b: MessageRecord): number {
  return a.sentAt - b.sentAt || (a.seq ?? 0) - (b.seq ?? 0);
}
