import type { VollyClient } from "@volly/client";
import type { Bot, BotSendOptions, IncomingMessage } from "./bot-api.js";
import { conversationSummaries } from "./conversations/conversation-summaries.js";
import { recentMessages } from "./conversations/recent-messages.js";
import type { ConversationSummary, MemberEvent, MessageEvent } from "./events.js";
import type { MessageDelivery } from "./incoming/message-delivery.js";
import { isDeliverable, toMessageEvent } from "./incoming/message-events.js";
import type { SenderTypes } from "./incoming/sender-types.js";
import { sendMessage } from "./outgoing/send-message.js";

/** What a {@link VollyBot} is made of (wired by `startBot`). */
export interface BotParts {
  client: VollyClient;
  senders: SenderTypes;
  /** Set right after construction (it needs the bot's send and react for `reply`/`react`). */
  delivery?: MessageDelivery;
  /** Stops the background parts (auto-join, recovery notices, delivery) before the client closes. */
  stop: Array<() => void>;
}

/**
 * The {@link Bot} `startBot` returns: a thin surface over a connected `VollyClient` (see `Bot` for
 * each member); the work is in `incoming/`, `outgoing/`, `conversations/`, `membership/` and
 * `recovery/`.
 */
export class VollyBot implements Bot {
  readonly accountId: string;
  readonly handle: string;
  readonly client: VollyClient;
  private closing: Promise<void> | undefined;

  constructor(private readonly parts: BotParts) {
    this.client = parts.client;
    this.accountId = parts.client.profile.accountId;
    this.handle = parts.client.profile.handle;
  }

  onMessage(listener: (message: IncomingMessage) => void | Promise<void>): () => void {
    return this.delivery().addMessageListener(listener);
  }

  onEvent(listener: (event: MemberEvent) => void): () => void {
    return this.delivery().addEventListener(listener);
  }

  async send(conversationId: string, text: string, options: BotSendOptions = {}): Promise<MessageEvent> {
    const record = await sendMessage(this.client, conversationId, text, options);
    if (!isDeliverable(record)) throw new Error(`Message ${record.id} was stored without a text body.`);
    return toMessageEvent(record, await this.parts.senders.of(record.from));
  }

  async react(conversationId: string, messageId: string, emoji: string): Promise<void> {
    await this.client.messaging.react(conversationId, messageId, emoji);
  }

  conversations(): Promise<ConversationSummary[]> {
    return conversationSummaries(this.client);
  }

  messages(conversationId: string, options: { limit?: number } = {}): Promise<MessageEvent[]> {
    return recentMessages(this.client, this.parts.senders, conversationId, options.limit);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const stop of this.parts.stop) stop();
      await this.parts.delivery?.close();
      await this.client.close();
    })();
    return this.closing;
  }

  private delivery(): MessageDelivery {
    if (!this.parts.delivery) throw new Error("The bot is not started.");
    return this.parts.delivery;
  }
}
