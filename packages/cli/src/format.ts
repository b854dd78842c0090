import { type ConversationRecord, type MessageRecord, messageText } from "@volly/client";

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

/**
 * The JSON line `receive --json` and `chat --json` print for a message. `conversation`, the
 * conversation's title (a group's name, or the other person's handle), is added when known.
 */
export function messageJson(m: MessageRecord, conversation?: string): Record<string, unknown> {
  return {
    id: m.id,
    conversationId: m.conversationId,
    from: m.from,
    text: messageText(m) ?? "",
    sentAt: m.sentAt,
    ...(conversation !== undefined ? { conversation } : {}),
  };
}

/** `HH:MM` of a timestamp (ms since the Unix epoch), local time. */
function clock(ms: number): string {
  return new Date(ms).toTimeString().slice(0, 5);
}

/** A message as one readable line within its conversation (`volly chat`): `[HH:MM] handle: text`. */
export function messageLine(m: MessageRecord): string {
  return `[${clock(m.sentAt)}] ${printable(m.from)}: ${printableText(messageText(m) ?? "")}`;
}

/** How a conversation is named in front of its messages: a group's name, `@handle` for a direct one. */
export function conversationLabel(c: Pick<ConversationRecord, "kind" | "title" | "peerHandle">): string {
  return printable(c.kind === "direct" ? `@${c.peerHandle ?? c.title}` : c.title);
}

/**
 * A message as one readable line among several conversations (`volly receive`):
 * `[HH:MM] [Weekend trip] bob: count me in`, or `[HH:MM] [@bob] bob: hi` in a direct conversation.
 */
export function inboxLine(m: MessageRecord, label: string): string {
  return `[${clock(m.sentAt)}] [${label}] ${printable(m.from)}: ${printableText(messageText(m) ?? "")}`;
}

/**
 * Orders messages as they were written: by the sender's clock (`sentAt`), then by their position
 * in the group's log (`seq`), for `Array.prototype.sort`.
 */
export function byTimeWritten(a: MessageRecord, b: MessageRecord): number {
  return a.sentAt - b.sentAt || (a.seq ?? 0) - (b.seq ?? 0);
}
