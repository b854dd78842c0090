import type { MessageRecord } from "@volly/client";

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

/** The JSON line `receive --json` prints for a message. */
export function messageJson(m: MessageRecord): Record<string, unknown> {
  return { id: m.id, conversationId: m.conversationId, from: m.from, text: m.text, sentAt: m.sentAt };
}

/** A message as one readable line: `[HH:MM] handle: text`. */
export function messageLine(m: MessageRecord): string {
  const time = new Date(m.sentAt).toTimeString().slice(0, 5);
  return `[${time}] ${m.from}: ${m.text}`;
}
