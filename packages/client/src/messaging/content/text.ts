import { threadOfArrival } from "../../threads/thread-roots.js";
import { channelOf, type MessageRecord, textBody } from "../message-records.js";
import type { ContentHandler } from "./content-handler.js";

/**
 * Text (TextContent): stored as a message with a text body (and the sender's link preview, if any;
 * `replyTo` when it replies, `threadId` in a channel thread: `threads/thread-roots.ts`); an incoming
 * one is marked unseen (for `volly receive`) and gets a delivery receipt. Its mentions are kept as
 * far as its sender may make them, and `mentionsMe` set (`mention-checks.ts`). Actions that arrived
 * before it (reactions, edits, a deletion, a pin) are applied as it is stored. Its files' pointers
 * (`attachments`; the text is then their caption, possibly "") are kept on the record; an empty
 * text without files is dropped. Carried in the history hand-over (pointers included, without the
 * preview).
 */
export const textHandler: ContentHandler<"text"> = {
  type: "text",
  persistence: "stored",
  historyHandOver: true,
  scope: "conversation",
  async apply({ content, event, advanced, batch, own }, { ctx, actions, mentions }) {
    // A text may be empty only as the caption of files: anything else is dropped (not stored).
    if (content.text === "" && !content.attachments?.length) {
      await batch.commit();
      return {};
    }
    const received: MessageRecord = {
      id: content.id,
      conversationId: advanced.id,
      ...channelOf(advanced),
      from: event.senderHandle,
      fromAccountId: event.senderAccountId,
      fromDeviceId: event.senderDeviceId,
      direction: own ? "out" : "in",
      body: textBody(content.text, content.preview),
      ...(content.attachments?.length ? { attachments: content.attachments } : {}),
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
