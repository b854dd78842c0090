import type { BotSendOptions, IncomingMessage } from "../bot-api.js";
import type { MessageEvent } from "../events.js";

/** What an {@link IncomingMessage}'s shortcuts call: the bot's own send and react. */
export interface AnswerActions {
  send(conversationId: string, text: string, options?: BotSendOptions): Promise<MessageEvent>;
  react(conversationId: string, messageId: string, emoji: string): Promise<void>;
}

/**
 * An {@link IncomingMessage}: the event's fields plus `reply` (into the same conversation, in the
 * same channel thread when the message is in one, as a reply to it) and `react`. The shortcuts are
 * not enumerable, so `JSON.stringify` of it is the plain event.
 */
export function incomingMessage(event: MessageEvent, actions: AnswerActions): IncomingMessage {
  const message = { ...event } as IncomingMessage;
  Object.defineProperties(message, {
    reply: {
      value: (text: string, options: Omit<BotSendOptions, "replyTo"> = {}) =>
        actions.send(event.conversationId, text, {
          ...(event.threadId !== undefined ? { threadId: event.threadId } : {}),
          ...options,
          replyTo: event.id,
        }),
    },
    react: { value: (emoji: string) => actions.react(event.conversationId, event.id, emoji) },
  });
  return message;
}
