import { ID_PATTERN, newId, parse, TextContent, VollyError } from "@volly/protocol";
import type { AccountSyncService } from "../account/account-sync/account-sync.js";
import type { ConversationState } from "../conversations/conversation-state.js";
import type { ClientContext } from "../shared/client-context.js";
import type { Listeners } from "../shared/listeners.js";
import { threadForSend } from "../threads/thread-roots.js";
import type { ActionCommands } from "./actions/action-commands.js";
import type { MessageAction } from "./actions/message-action.js";
import type { MessageActions } from "./actions/message-actions.js";
import type { DeliveryDiagnostic, DeliveryLog } from "./delivery-log.js";
import type { LinkPreviews } from "./link-preview/link-previews.js";
import type { MentionChecks } from "./mention-checks.js";
import type { MessageEvents } from "./message-events.js";
import { channelOf, type MessageRecord, textBody, type UndecryptableCounts } from "./message-records.js";
import type { Messaging, SendOptions } from "./messaging-api.js";
import type { Outbox } from "./outbox.js";
import type { Receipts } from "./receipts.js";

/** The services {@link MessagingService} works with (one of each per client, shared with the others). */
export interface MessagingDeps {
  outbox: Outbox;
  receipts: Receipts;
  /** Publishes read marks to this account's other devices. */
  accountSync: AccountSyncService;
  /** The conversations' records. */
  conversations: ConversationState;
  /** The message events (also fired by the receiving pipeline). */
  events: MessageEvents;
  /** Counts of undecryptable messages and rejoins. */
  deliveryLog: DeliveryLog;
  /** Applies actions on messages (reactions, edits, deletes, pins). */
  actions: MessageActions;
  /** This account's actions on messages. */
  commands: ActionCommands;
  /** Derives the mentions of a sent text (and what it declares to the server). */
  mentions: MentionChecks;
  /** Link previews of outgoing text (when the user turned them on). */
  previews: LinkPreviews;
}

/**
 * The SDK's {@link Messaging} (see there for each public member). Sending goes through the outbox
 * (`outbox.ts`); incoming entries are processed by `incoming.ts`, which fires the same `received`
 * and `updates` events (`MessageEvents`).
 */
export class MessagingService implements Messaging {
  readonly received: Listeners<MessageRecord>;
  readonly updates: Listeners<MessageRecord>;
  readonly diagnostics: Listeners<DeliveryDiagnostic>;
  readonly actions: Listeners<MessageAction>;
  private lastSentAt = 0;
  /** Queues texts one after the other (a preview fetch must not let a later message overtake). */
  private queueing: Promise<unknown> = Promise.resolve();

  /**
   * @param ctx the open profile
   * @param deps the shared outbox, receipts, account sync, conversations, events and delivery log
   */
  constructor(
    private readonly ctx: ClientContext,
    private readonly deps: MessagingDeps,
  ) {
    this.received = deps.events.received;
    this.updates = deps.events.updates;
    this.diagnostics = deps.deliveryLog.diagnostics;
    this.actions = deps.events.actions;
    deps.outbox.sent.add((m) => {
      deps.events.received.emit(m);
      deps.events.updates.emit(m);
    });
  }

  async send(conversationId: string, text: string, options: SendOptions = {}): Promise<MessageRecord> {
    const queued = await this.queueText(conversationId, text, options);
    await this.deps.outbox.flush();
    const stored = await this.ctx.stores.messages.get(queued.id);
    if (!stored || stored.status === "pending") {
      const refused = this.deps.outbox.refusal(queued.id);
      if (refused) throw refused;
      if ((await this.deps.conversations.get(conversationId)).left) {
        throw new VollyError("VOLLY_E_NOT_GROUP_MEMBER", "You are no longer in this conversation.");
      }
      throw new VollyError(
        "VOLLY_E_SERVER_UNREACHABLE",
        "The message is queued and will be sent when the server is reachable.",
      );
    }
    return stored;
  }

  async enqueue(conversationId: string, text: string, options: SendOptions = {}): Promise<MessageRecord> {
    const queued = await this.queueText(conversationId, text, options);
    this.deps.events.updates.emit(queued);
    void this.deps.outbox.flush().catch(this.ctx.diagnostics.catcher("outbox.flush"));
    return queued;
  }

  react(conversationId: string, messageId: string, emoji: string): Promise<MessageAction> {
    return this.deps.commands.react(conversationId, messageId, emoji, false);
  }

  unreact(conversationId: string, messageId: string, emoji: string): Promise<MessageAction> {
    return this.deps.commands.react(conversationId, messageId, emoji, true);
  }

  edit(conversationId: string, messageId: string, text: string): Promise<MessageAction> {
    return this.deps.commands.edit(conversationId, messageId, text);
  }

  async delete(
    conversationId: string,
    messageId: string,
    scope: "everyone" | "me",
  ): Promise<MessageAction | undefined> {
    if (scope === "me") {
      await this.deps.actions.deleteLocally(conversationId, messageId);
      return undefined;
    }
    if (scope !== "everyone") throw new VollyError("VOLLY_E_USAGE", 'The scope is "everyone" or "me".');
    return this.deps.commands.deleteForEveryone(conversationId, messageId);
  }

  pin(conversationId: string, messageId: string): Promise<MessageAction> {
    return this.deps.commands.pin(conversationId, messageId, true);
  }

  unpin(conversationId: string, messageId: string): Promise<MessageAction> {
    return this.deps.commands.pin(conversationId, messageId, false);
  }

  pinned(conversationId: string): Promise<MessageRecord[]> {
    return this.deps.actions.pinned(conversationId);
  }

  takeUnseenActions(conversationId?: string): Promise<MessageAction[]> {
    return this.deps.actions.takeUnseen(conversationId);
  }

  async history(
    conversationId: string,
    limit = 200,
    before?: Pick<MessageRecord, "id" | "sentAt">,
  ): Promise<MessageRecord[]> {
    if (before !== undefined && !(typeof before.id === "string" && Number.isFinite(before.sentAt))) {
      throw new VollyError("VOLLY_E_USAGE", "before must be a message's id and sentAt (ms).");
    }
    return this.ctx.stores.messages.recent(conversationId, limit, before);
  }

  async markRead(conversationId: string): Promise<void> {
    await this.deps.receipts.markRead(conversationId);
    await this.deps.accountSync.noteRead(conversationId);
  }

  flushOutbox(): Promise<void> {
    return this.deps.outbox.flush();
  }

  refusal(messageId: string): VollyError | undefined {
    return this.deps.outbox.refusal(messageId);
  }

  async pendingCount(): Promise<number> {
    // Messages with files still uploading wait too (`attachments/`), before they reach the outbox.
    const [queued, uploading] = await Promise.all([
      this.deps.outbox.pendingCount(),
      this.ctx.stores.attachmentJobs.count(),
    ]);
    return queued + uploading;
  }

  async takeUnseen(conversationId?: string): Promise<MessageRecord[]> {
    const { stores } = this.ctx;
    const batch = stores.batch();
    const out: MessageRecord[] = [];
    for (const [entryId, id] of await stores.unseen.entries()) {
      const message = await stores.messages.get(id);
      if (conversationId && message && message.conversationId !== conversationId) continue;
      if (message) out.push(message);
      stores.unseen.remove(batch, entryId);
    }
    await batch.commit();
    return out;
  }

  undecryptable(): Promise<UndecryptableCounts> {
    return this.deps.deliveryLog.undecryptable();
  }

  recoveries(): Promise<number> {
    return this.deps.deliveryLog.recoveries();
  }

  /** Sends the batched delivery receipts now and stops background timers (used on close). */
  async dispose(): Promise<void> {
    await this.deps.receipts.flushDelivered().catch(this.ctx.diagnostics.catcher("receipts.flush"));
    this.deps.receipts.dispose();
    this.deps.outbox.dispose();
  }

  /** Queues a text after every text queued before it (in call order). */
  private queueText(conversationId: string, text: string, options: SendOptions): Promise<MessageRecord> {
    const run = () => this.queueTextNow(conversationId, text, options);
    const queued = this.queueing.then(run, run);
    this.queueing = queued.catch(() => undefined);
    return queued;
  }

  private async queueTextNow(
    conversationId: string,
    text: string,
    { replyTo, threadId: asked, id: given }: SendOptions,
  ): Promise<MessageRecord> {
    const conv = await this.deps.conversations.get(conversationId);
    if (given !== undefined) {
      const existing = await this.storedUnderGivenId(conversationId, given);
      if (existing) return existing;
    }
    if (conv.left)
      throw new VollyError("VOLLY_E_NOT_GROUP_MEMBER", "You are no longer in this conversation.");
    // The protocol takes "" only as the caption of files (`client.attachments.send`).
    if (text === "")
      throw new VollyError("VOLLY_E_USAGE", "A message needs text (or files: client.attachments.send).");
    const id = given ?? newId();
    // Validate before fetching a preview (a refused text must not reach the linked site).
    parse(TextContent, { v: 1, type: "text", id, text, sentAt: Date.now() }, "VOLLY_E_USAGE");
    const { mentions, declares } = await this.deps.mentions.outgoing(text, channelOf(conv));
    const threadId =
      asked !== undefined ? await threadForSend(this.ctx.stores.messages, conv, asked) : undefined;
    const thread = threadId !== undefined ? { threadId } : {};
    const preview = await this.deps.previews.forText(text);
    const sentAt = this.nextSentAt();
    const content: TextContent = parse(
      TextContent,
      {
        v: 1,
        type: "text",
        id,
        text,
        sentAt,
        ...(replyTo !== undefined ? { replyTo } : {}),
        ...(mentions ? { mentions } : {}),
        ...thread,
        ...(preview ? { preview } : {}),
      },
      "VOLLY_E_USAGE",
    );
    if (replyTo !== undefined) await this.deps.actions.targetOf(conversationId, replyTo);
    const message: MessageRecord = {
      id,
      conversationId,
      ...channelOf(conv),
      from: this.ctx.profile.handle,
      fromAccountId: this.ctx.profile.accountId,
      fromDeviceId: this.ctx.profile.deviceId,
      direction: "out",
      body: textBody(text, preview),
      sentAt,
      receivedAt: sentAt,
      status: "pending",
      recipients: (conv.members ?? []).map((m) => m.accountId),
      ...(replyTo !== undefined ? { replyTo } : {}),
      ...(mentions ? { mentions } : {}),
      ...thread,
    };
    await this.deps.outbox.add(conversationId, content, message, declares);
    return message;
  }

  /**
   * The message this device stored under a caller-given id (see `SendOptions.id`), if any.
   * Throws VOLLY_E_USAGE for an id that is no `ID_PATTERN` id, VOLLY_E_MESSAGE_ID_CONFLICT when the
   * id belongs to another conversation's message.
   */
  private async storedUnderGivenId(conversationId: string, id: string): Promise<MessageRecord | undefined> {
    if (!new RegExp(ID_PATTERN).test(id)) {
      throw new VollyError("VOLLY_E_USAGE", "A message id is 22 base64url characters.");
    }
    const existing = await this.ctx.stores.messages.get(id);
    if (existing && existing.conversationId !== conversationId) {
      throw new VollyError("VOLLY_E_MESSAGE_ID_CONFLICT", undefined, { messageId: id });
    }
    return existing;
  }

  /** A strictly increasing clock (ms), so messages sent in one millisecond keep their order. */
  private nextSentAt(): number {
    this.lastSentAt = Math.max(Date.now(), this.lastSentAt + 1);
    return this.lastSentAt;
  }
}
