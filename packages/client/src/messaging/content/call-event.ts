import { type CallBody, channelOf, type MessageRecord } from "../message-records.js";
import type { ContentHandler, ContentOf } from "./content-handler.js";

/**
 * A call's record (CallEventContent, `call.event`): stored as a message with a `call` body — a
 * timeline event (no unread count, no receipts, not handed over; `message-kinds.ts`). Sent by the
 * caller's device once the call is over, so every member's timeline (the caller's other devices
 * too) shows "Missed call" or "Call, 3:12". Duplicates (the same call recorded twice) are kept as
 * they come: the record's id is the content's.
 */
export const callEventHandler: ContentHandler<"call.event"> = {
  type: "call.event",
  persistence: "stored",
  historyHandOver: false,
  scope: "conversation",
  async apply({ content, event, advanced, batch, own }, { ctx }) {
    const body = callBodyOf(content);
    const message: MessageRecord = {
      id: content.id,
      conversationId: advanced.id,
      ...channelOf(advanced),
      from: event.senderHandle,
      fromAccountId: event.senderAccountId,
      fromDeviceId: event.senderDeviceId,
      direction: own ? "out" : "in",
      body,
      sentAt: content.sentAt,
      receivedAt: Date.now(),
      status: own ? "sent" : "received",
      seq: event.seq,
    };
    ctx.stores.messages.put(batch, message);
    if (!own) ctx.stores.unseen.add(batch, message);
    await batch.commit();
    return { message };
  },
};

/** The timeline body of a call record (`call.event` content without its envelope). */
export function callBodyOf(content: ContentOf<"call.event">): CallBody {
  return {
    type: "call",
    callId: content.callId,
    media: content.media,
    outcome: content.outcome,
    ...(content.durationMs !== undefined ? { durationMs: content.durationMs } : {}),
  };
}
