import { textHandler } from "./content/text.js";
import type { MessageBody, MessageRecord } from "./message-records.js";

/** What the SDK does with stored message records of one body kind. */
export interface MessageKind {
  /**
   * Where records of this kind come from: `"content"`, a stored content kind sent over MLS (its
   * handler in `content/` stores them); `"local"`, derived by each device from MLS state and never
   * sent (membership events).
   */
  readonly origin: "content" | "local";
  /**
   * True for what someone wrote: incoming ones count as unread and get delivery and read receipts,
   * outgoing ones track receipts. False for timeline events.
   */
  readonly conversational: boolean;
  /** Whether records of this kind go to a newly linked device in the history hand-over. */
  readonly historyHandOver: boolean;
}

/**
 * Every kind of message body and what it is. The mapped type makes TypeScript refuse a body kind
 * of {@link MessageBody} that is not listed here, so each consumer that asks (unread counts,
 * receipts, the history hand-over) has an answer for it.
 */
export const MESSAGE_KINDS: { readonly [K in MessageBody["type"]]: MessageKind } = {
  text: { origin: "content", conversational: true, historyHandOver: textHandler.historyHandOver },
  // Each device derives its own from MLS; the hand-over's HistoryMessage carries text only, and a
  // new device's history starts with messages (its own membership starts at its Welcome).
  membership: { origin: "local", conversational: false, historyHandOver: false },
  // A tombstone (DeleteContent applied): no longer counts as unread; handed over so a new device
  // shows the same gap.
  deleted: { origin: "content", conversational: false, historyHandOver: true },
  // A call's record (`content/call-event.ts`): a timeline event, not something someone wrote; the
  // hand-over's HistoryMessage carries text only.
  call: { origin: "content", conversational: false, historyHandOver: false },
};

/**
 * True for a record someone wrote (see {@link MessageKind.conversational}): it counts as unread and
 * is acknowledged with receipts. False for membership events.
 */
export function isConversational(message: Pick<MessageRecord, "body">): boolean {
  return MESSAGE_KINDS[message.body.type].conversational;
}

/** Whether a stored record goes to a new device in the history hand-over (by its body's kind). */
export function carriedInHandOver(body: MessageBody): boolean {
  return MESSAGE_KINDS[body.type].historyHandOver;
}
