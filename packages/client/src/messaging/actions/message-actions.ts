import { VollyError } from "@volly/protocol";
import type { ClientContext } from "../../shared/client-context.js";
import type { KeyedQueue } from "../../shared/keyed-queue.js";
import { orderedKey } from "../../storage/store-keys.js";
import type { VaultBatch } from "../../storage/vault.js";
import type { IncomingContent } from "../content/content-handler.js";
import type { MessageEvents } from "../message-events.js";
import { channelOf, type MessageRecord } from "../message-records.js";
import type { Outbox } from "../outbox.js";
import { type ActionRule, applyAction } from "./apply-action.js";
import type { ChannelModeration } from "./channel-moderation.js";
import { type ActionContent, actionOf, type MessageAction } from "./message-action.js";
import { bySeq, isExpired, PendingActions } from "./pending-actions.js";

/** How many of a conversation's newest messages {@link MessageActions.pinned} looks through. */
export const PINNED_SCAN_LIMIT = 10_000;

/** The rule of each action kind (from its content handler in `content/`). */
export type ActionRules = {
  readonly [K in ActionContent["type"]]: ActionRule<Extract<ActionContent, { type: K }>>;
};

/** What an applied action changed (for the events the pipeline fires once it is stored). */
export interface ActionOutcome {
  /** Stored messages that changed. */
  updated: MessageRecord[];
  /** The actions applied. */
  actions: MessageAction[];
}

/** What {@link MessageActions} works with (one of each per client). */
export interface MessageActionsDeps {
  queue: KeyedQueue;
  outbox: Outbox;
  events: MessageEvents;
  moderation: ChannelModeration;
  /** The rule of each action kind (`content/action-rules.ts`'s ACTION_RULES). */
  rules: ActionRules;
}

/**
 * Reactions, edits, deletions for everyone and pins, applied to stored messages the same way on
 * every device: an action is applied in its conversation's queue, in log order, to the message it
 * targets (see each kind's rule in `content/`). One that arrives before its target (a history
 * hand-over still on its way, a message not decrypted yet) is kept sealed under
 * `pendingActions[targetId]` (bounded in count and age: `pending-actions.ts`) and applied, in seq
 * order, when the target is stored — so a device
 * that was away converges to the same view as one that never was.
 */
export class MessageActions {
  /** The actions waiting for their message (bounded: see PendingActions). */
  readonly pending: PendingActions;

  constructor(
    private readonly ctx: ClientContext,
    private readonly deps: MessageActionsDeps,
  ) {
    this.pending = new PendingActions(ctx, deps.queue);
  }

  /**
   * Applies a received action content (inside its conversation's queue): to the target when it is
   * stored, else kept for it. Commits `input.batch`. An action of another account is also kept
   * unseen for `volly receive`.
   */
  async receiveLocked<C extends ActionContent>(
    input: Omit<IncomingContent<C["type"]>, "content"> & { content: C },
    rule: ActionRule<C>,
  ): Promise<ActionOutcome> {
    const { content, event, advanced, batch, own } = input;
    const action = actionOf(
      content,
      {
        conversationId: advanced.id,
        ...channelOf(advanced),
        fromAccountId: event.senderAccountId,
        from: event.senderHandle,
        direction: own ? "out" : "in",
        seq: event.seq,
      },
      rule.details(content),
    );
    const outcome = await this.applyOrKeepLocked(action, batch);
    await batch.commit();
    return outcome;
  }

  /**
   * Applies the actions that waited for `message` (in seq order) and stages the result and the
   * removal of the waiting list in `batch`. For a message being stored now (its handler's batch).
   *
   * @returns the message as it is after them (unchanged when none waited) and the actions applied
   */
  async settleArrivalLocked(
    message: MessageRecord,
    batch: VaultBatch,
  ): Promise<{ message: MessageRecord; actions: MessageAction[] }> {
    const { stores } = this.ctx;
    const waiting = await stores.pendingActions.get(message.id);
    if (!waiting || waiting.length === 0) return { message, actions: [] };
    stores.pendingActions.delete(batch, message.id);
    let current = message;
    const applied: MessageAction[] = [];
    const now = Date.now();
    // One kept too long is dropped even when the sweep has not come by yet (see PendingActions).
    for (const action of [...waiting].filter((a) => !isExpired(a, now)).sort(bySeq)) {
      const next = await this.applyOne(current, action);
      if (!next) continue;
      current = next;
      applied.push(action);
      this.stageUnseen(batch, action);
    }
    return { message: current, actions: applied };
  }

  /**
   * Adopts the actions a history hand-over carried that were waiting on the old device for their
   * messages (`HistoryChunkContent.pendingActions`): each, in its conversation's queue, applies at
   * once when its message is here by now, else waits for it like one received here (bounded the
   * same way). Failures go to diagnostics.
   *
   * @param actions the carried actions (validated against the chunk's schema)
   */
  adoptHandedOver(actions: readonly MessageAction[]): void {
    for (const action of actions) {
      void this.deps.queue
        .run(action.conversationId, async () => {
          const batch = this.ctx.stores.batch();
          const outcome = await this.applyOrKeepLocked(action, batch);
          await batch.commit();
          return outcome;
        })
        .then((outcome) => {
          for (const m of outcome.updated) this.deps.events.updates.emit(m);
          for (const a of outcome.actions) this.deps.events.actions.emit(a);
        })
        .catch(this.ctx.diagnostics.catcher("actions.adopt"));
    }
  }

  /**
   * For messages stored outside their conversation's queue (a history hand-over): applies what
   * waited for each, in its conversation's queue, and fires the events. Failures go to diagnostics.
   */
  settleInBackground(messages: readonly MessageRecord[]): void {
    for (const m of messages) {
      void this.deps.queue
        .run(m.conversationId, async () => {
          if (!(await this.ctx.stores.pendingActions.has(m.id))) return undefined;
          const stored = await this.ctx.stores.messages.get(m.id);
          if (!stored) return undefined;
          const batch = this.ctx.stores.batch();
          const settled = await this.settleArrivalLocked(stored, batch);
          this.ctx.stores.messages.put(batch, settled.message);
          await batch.commit();
          return settled;
        })
        .then((settled) => {
          if (!settled || settled.actions.length === 0) return;
          this.deps.events.updates.emit(settled.message);
          for (const a of settled.actions) this.deps.events.actions.emit(a);
        })
        .catch(this.ctx.diagnostics.catcher("actions.settle"));
    }
  }

  /**
   * Performs an action of this account: checks its target (a text message of this conversation),
   * encrypts it into the outbox, applies it here, and sends it. `authorize` may refuse first.
   *
   * @returns the action as applied here
   * @throws VollyError VOLLY_E_UNKNOWN_MESSAGE (no such message in this conversation, or deleted),
   *   what `authorize` throws (VOLLY_E_FORBIDDEN), VOLLY_E_NOT_GROUP_MEMBER, VOLLY_E_SERVER_UNREACHABLE
   *   (it stays queued and is sent later), and the server's refusal for good
   */
  async perform<C extends ActionContent>(
    conversationId: string,
    content: C,
    rule: ActionRule<C>,
    authorize: (target: MessageRecord) => Promise<void> = async () => undefined,
  ): Promise<MessageAction> {
    const { stores, profile } = this.ctx;
    const { queue, outbox, events } = this.deps;
    const done = await queue.run(conversationId, async () => {
      const target = await this.targetOf(conversationId, content.targetId);
      await authorize(target);
      const action = actionOf(
        content,
        {
          conversationId,
          ...channelOf(target),
          fromAccountId: profile.accountId,
          from: profile.handle,
          direction: "out",
        },
        rule.details(content),
      );
      await outbox.addLocked(conversationId, content);
      const next = await this.applyOne(target, action);
      if (next) {
        const batch = stores.batch();
        stores.messages.put(batch, next);
        await batch.commit();
      }
      return { action, next };
    });
    if (done.next) events.updates.emit(done.next);
    events.actions.emit(done.action);
    await outbox.flush();
    const refused = outbox.refusal(content.id);
    if (refused) throw refused;
    if (await outbox.isQueued(content.id)) {
      throw new VollyError(
        "VOLLY_E_SERVER_UNREACHABLE",
        "The action is queued and will be sent when the server is reachable.",
      );
    }
    return done.action;
  }

  /**
   * The pinned messages of a conversation (among its newest PINNED_SCAN_LIMIT), in the order they
   * were pinned. Read from the records' `pinnedAt`, so history handed over brings its pins along.
   */
  async pinned(conversationId: string): Promise<MessageRecord[]> {
    const recent = await this.ctx.stores.messages.recent(conversationId, PINNED_SCAN_LIMIT);
    return recent
      .filter((m) => m.pinnedAt !== undefined && m.body.type === "text")
      .sort((a, b) => (a.pinnedAt ?? 0) - (b.pinnedAt ?? 0));
  }

  /**
   * Removes a message from this device only (delete for me): its record (and with it its pin). Other devices and members keep it.
   *
   * @throws VollyError VOLLY_E_UNKNOWN_MESSAGE
   */
  async deleteLocally(conversationId: string, messageId: string): Promise<void> {
    const { stores } = this.ctx;
    await this.deps.queue.run(conversationId, async () => {
      const target = await stores.messages.get(messageId);
      if (!target || target.conversationId !== conversationId || target.body.type === "membership") {
        throw new VollyError("VOLLY_E_UNKNOWN_MESSAGE", undefined, { messageId });
      }
      const batch = stores.messages.delete(stores.batch(), messageId, conversationId);
      await batch.commit();
    });
  }

  /**
   * Returns the actions of other accounts not yet shown, oldest applied first, and marks them shown.
   *
   * @param conversationId only this conversation's (the others stay unseen)
   */
  async takeUnseen(conversationId?: string): Promise<MessageAction[]> {
    const { stores } = this.ctx;
    const batch = stores.batch();
    const out: MessageAction[] = [];
    for (const [entryId, action] of await stores.unseenActions.list()) {
      if (conversationId && action.conversationId !== conversationId) continue;
      out.push(action);
      stores.unseenActions.delete(batch, entryId);
    }
    await batch.commit();
    return out;
  }

  /** The stored text message `messageId` of a conversation, or VOLLY_E_UNKNOWN_MESSAGE. */
  async targetOf(conversationId: string, messageId: string): Promise<MessageRecord> {
    const target = await this.ctx.stores.messages.get(messageId);
    if (!target || target.conversationId !== conversationId || target.body.type !== "text") {
      throw new VollyError(
        "VOLLY_E_UNKNOWN_MESSAGE",
        target?.body.type === "deleted" ? "That message was deleted." : undefined,
        { messageId },
      );
    }
    return target;
  }

  /**
   * Whether `accountId` holds MANAGE_MESSAGES in the channel of `target` (false outside channels).
   *
   * @throws VollyError when the community cannot be read
   */
  moderates(target: Pick<MessageRecord, "communityId" | "channelId">, accountId: string): Promise<boolean> {
    if (!target.communityId || !target.channelId) return Promise.resolve(false);
    return this.deps.moderation.holds(target.communityId, target.channelId, accountId, "MANAGE_MESSAGES");
  }

  private async applyOrKeepLocked(action: MessageAction, batch: VaultBatch): Promise<ActionOutcome> {
    const { stores } = this.ctx;
    const target = await stores.messages.get(action.targetId);
    if (!target) {
      await this.pending.keepLocked(batch, action);
      return { updated: [], actions: [] };
    }
    const next = await this.applyOne(target, action);
    if (!next) return { updated: [], actions: [] };
    stores.messages.put(batch, next);
    this.stageUnseen(batch, action);
    return { updated: [next], actions: [action] };
  }

  private applyOne(target: MessageRecord, action: MessageAction): Promise<MessageRecord | undefined> {
    const rule = this.deps.rules[action.type] as ActionRule<ActionContent>;
    return applyAction(target, action, rule, () => this.moderates(target, action.fromAccountId));
  }

  private stageUnseen(batch: VaultBatch, action: MessageAction): void {
    if (action.direction !== "in") return;
    this.ctx.stores.unseenActions.put(batch, `${orderedKey(Date.now())}:${action.id}`, action);
  }
}
