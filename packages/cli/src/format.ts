import { type MessageRecord, messageText } from "@volly/client";

/** The JSON line `receive --json` prints for a message (`text`: its text body). */
export function messageJson(m: MessageRecord): Record<string, unknown> {
  return {
    id: m.id,
    conversationId: m.conversationId,
    from: m.from,
    text: messageText(m) ?? "",
    sentAt: m.sentAt,
  };
}

/** A message as one readable line: `[HH:MM] handle: text`. */
export function messageLine(m: MessageRecord): string {
  const time = new Date(m.sentAt).toTimeString().slice(0, 5);
  return `[${time}] ${m.from}: ${messageText(m) ?? ""}`;
}
