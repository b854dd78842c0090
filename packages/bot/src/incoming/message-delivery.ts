import type { MessageRecord, VollyClient } from "@volly/client";
import type { IncomingMessage } from "../bot-api.js";
import type { MemberEvent, MessageEvent } from "../events.js";
import { type BotLog, describeError } from "../log.js";
import { type AnswerActions, incomingMessage } from "./incoming-message.js";
import { isDeliverable, type TextRecord, toMessageEvent } from "./message-events.js";
import type { SenderTypes } from "./sender-types.js";

/** A listener of `Bot.onMessage`. */
export type MessageListener = (message: IncomingMessage) => void | Promise<void>;
/** A listener of `Bot.onEvent`. */
export type EventListener = (event: MemberEvent) => void;

/**
 * Hands the messages of other accounts to `Bot.onMessage` and every message to `Bot.onEvent`,
 * once each.
 *
 * Incoming messages come from the profile's durable "unseen" list (`Messaging.takeUnseen`, the
 * list `volly receive` reads): each is taken — and so never handed out again, also after a restart
 * — in the same step that hands it out. A message that arrived while the bot was stopped is in
 * that list, so it is handed out once the first listener is added after the next start; nothing
 * is taken while no listener is registered. Status updates, edits and reactions never re-fire a
 * message (they are `updates`, not new records). Listeners of one conversation are called one
 * message after the other (an async `onMessage` listener is awaited); conversations do not wait
 * for each other. Delivery is at most once: a process killed while a listener runs does not get
 * that message again.
 *
 * Outgoing messages (this account's, from this device or another) go to `onEvent` only, as they
 * are stored; they are not replayed after a restart.
 */
export class MessageDelivery {
  private readonly messageListeners = new Set<MessageListener>();
  private readonly eventListeners = new Set<EventListener>();
  private draining: Promise<void> = Promise.resolve();
  private drainQueued = false;
  private readonly chains = new Map<string, Promise<void>>();
  private closed = false;

  constructor(
    private readonly client: VollyClient,
    private readonly senders: SenderTypes,
    private readonly actions: AnswerActions,
    private readonly log: BotLog,
  ) {}

  /** Starts following `client.messaging.received`; returns the function that stops it. */
  start(): () => void {
    return this.client.messaging.received.add((record) => this.onStored(record));
  }

  /** Adds an `onMessage` listener (and hands out what waits); returns its removal. */
  addMessageListener(listener: MessageListener): () => void {
    this.messageListeners.add(listener);
    this.scheduleDrain();
    return () => this.messageListeners.delete(listener);
  }

  /** Adds an `onEvent` listener (and hands out what waits); returns its removal. */
  addEventListener(listener: EventListener): () => void {
    this.eventListeners.add(listener);
    this.scheduleDrain();
    return () => this.eventListeners.delete(listener);
  }

  /** Stops handing out and waits for the listeners running now. */
  async close(): Promise<void> {
    this.closed = true;
    await this.draining;
    await Promise.all(this.chains.values());
  }

  private onStored(record: MessageRecord): void {
    if (record.direction === "in") {
      this.scheduleDrain();
      return;
    }
    if (!isDeliverable(record) || this.eventListeners.size === 0) return;
    void this.toEvent(record).then((event) => this.emitEvent(event));
  }

  private scheduleDrain(): void {
    if (this.closed || this.drainQueued) return;
    if (this.messageListeners.size === 0 && this.eventListeners.size === 0) return;
    this.drainQueued = true;
    // Runs after the current tick, so listeners added together all see the first batch.
    this.draining = this.draining
      .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
      .then(() => this.drain());
  }

  private async drain(): Promise<void> {
    this.drainQueued = false;
    if (this.closed) return;
    let records: MessageRecord[];
    try {
      records = await this.client.messaging.takeUnseen();
    } catch (err) {
      this.log(`could not read the new messages: ${describeError(err)}`);
      return;
    }
    for (const record of records) {
      if (!isDeliverable(record)) continue;
      const event = await this.toEvent(record);
      const previous = this.chains.get(record.conversationId) ?? Promise.resolve();
      const next = previous.then(() => this.dispatch(event));
      this.chains.set(record.conversationId, next);
      void next.then(() => {
        if (this.chains.get(record.conversationId) === next) this.chains.delete(record.conversationId);
      });
    }
  }

  private async dispatch(event: MessageEvent): Promise<void> {
    this.emitEvent(event);
    for (const listener of [...this.messageListeners]) {
      try {
        await listener(incomingMessage(event, this.actions));
      } catch (err) {
        this.log(`an onMessage listener failed on message ${event.id}: ${describeError(err)}`);
      }
    }
  }

  private emitEvent(event: MessageEvent): void {
    for (const listener of [...this.eventListeners]) {
      try {
        listener(event);
      } catch (err) {
        this.log(`an onEvent listener failed on message ${event.id}: ${describeError(err)}`);
      }
    }
  }

  private async toEvent(record: TextRecord): Promise<MessageEvent> {
    return toMessageEvent(record, await this.senders.of(record.from));
  }
}
