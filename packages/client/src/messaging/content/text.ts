import { threadOfArrival } from "../../threads/thread-roots.js";
import { channelOf, type MessageRecord, textBody } from "../message-records.js";
import type { ContentHandler } from "./content-handler.js";

/**
 * Text (TextContent): stored as a message with a text body (and the sender's link preview, if any;
 * `replyTo` when it replies, `threadId` in a channel thread: `threads/thread-roots.ts`); an incoming
 * one is marked unseen (for `volly receive`) and gets a delivery receipt. Its mentions are kept as
 * far as its sender may make them, and `mentionsMe` set (`mention-checks.ts`). Actions that arrived
 * before it (reactions, edits, a deletion, a pin) are applied as it is stored. Carried in the
 * history hand-over (without the preview).
 */
export const textHandler: ContentHandler<"text"> = {
  type: "text",
  persistence: "stored",
  historyHandOver: true,
  scope: "conversation",
  async apply({ content, event, advanced, batch, own }, { ctx, actions, mentions }) {
    const received: MessageRecord = {
      id: content.id,
      conversationId: advanced.id,
      ...channelOf(advanced),
      from: event.senderHandle,
      fromAccountId: event.senderAccountId,
      fromDeviceId: event.senderDeviceId,
      direction: own ? "out" : "in",
      body: textBody(content.text, content.preview),
      sentAt: content.sentAt,
      receivedAt: Date.now(),
      status: own ? "sent" : "received",
      seq: event.seq,
      ...(await threadOfArrival(ctx.stores.messages, advanced, content)),
    };
    const arrived = { ...received, ...(await mentions.incoming(content.mentions, received)) };
    const { message, actions: applied } = await actions.settleArrivalLocked(arrived, batch);
    ctx.stores.messages.put(batch, message);
    if (!own) ctx.stores.unseen.add(batch, message);
    await batch.commit();
    return { message, actions: applied };
  },
};
