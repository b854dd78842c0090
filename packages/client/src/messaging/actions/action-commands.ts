import {
  DeleteContent,
  EditContent,
  newId,
  PinContent,
  parse,
  ReactionContent,
  VollyError,
} from "@volly/protocol";
import type { ClientContext } from "../../shared/client-context.js";
import { ACTION_RULES } from "../content/action-rules.js";
import type { MessageRecord } from "../message-records.js";
import type { MessageAction } from "./message-action.js";
import type { MessageActions } from "./message-actions.js";

/**
 * What this account does to messages — react, edit, delete (for everyone or for this device), pin —
 * behind `Messaging`'s methods of the same names: each input is checked against its content schema
 * (→ VOLLY_E_USAGE), what the sender may not do is refused here first (VOLLY_E_FORBIDDEN), and the
 * action is sent as MLS content and applied on this device (see {@link MessageActions.perform}).
 */
export class ActionCommands {
  private lastSentAt = 0;

  constructor(
    private readonly ctx: ClientContext,
    private readonly actions: MessageActions,
  ) {}

  /** Adds (or with `remove`, takes back) this account's reaction `emoji` on a message. */
  async react(
    conversationId: string,
    messageId: string,
    emoji: string,
    remove: boolean,
  ): Promise<MessageAction> {
    const content = parse(
      ReactionContent,
      {
        v: 1,
        type: "reaction",
        id: newId(),
        targetId: messageId,
        emoji,
        ...(remove ? { remove: true } : {}),
        sentAt: this.now(),
      },
      "VOLLY_E_USAGE",
    );
    return this.actions.perform(conversationId, content, ACTION_RULES.reaction);
  }

  /** Replaces the text of one of this account's messages. */
  async edit(conversationId: string, messageId: string, text: string): Promise<MessageAction> {
    const content = parse(
      EditContent,
      { v: 1, type: "edit", id: newId(), targetId: messageId, text, sentAt: this.now() },
      "VOLLY_E_USAGE",
    );
    return this.actions.perform(conversationId, content, ACTION_RULES.edit, async (target) => {
      if (!this.isOwn(target)) {
        throw new VollyError("VOLLY_E_FORBIDDEN", "Only its sender may edit a message.", {
          reason: "not-sender",
        });
      }
    });
  }

  /**
   * Deletes a message for everyone: the server removes its ciphertext first (it checks that this
   * account sent it, or holds MANAGE_MESSAGES in the community channel), then the encrypted delete
   * makes every device show a tombstone. A message the server no longer holds (pruned once every
   * device had it) is still deleted on the devices.
   */
  async deleteForEveryone(conversationId: string, messageId: string): Promise<MessageAction> {
    const content = parse(
      DeleteContent,
      { v: 1, type: "delete", id: newId(), targetId: messageId, sentAt: this.now() },
      "VOLLY_E_USAGE",
    );
    const target = await this.actions.targetOf(conversationId, messageId);
    if (target.seq !== undefined) {
      try {
        await this.ctx.api.call("deleteMessage", { params: { groupId: conversationId, messageId } });
      } catch (err) {
        if (!(err instanceof VollyError && err.code === "VOLLY_E_UNKNOWN_MESSAGE")) throw err;
      }
    }
    return this.actions.perform(conversationId, content, ACTION_RULES.delete, async (t) => {
      if (this.isOwn(t) || (await this.actions.moderates(t, this.ctx.profile.accountId))) return;
      throw new VollyError("VOLLY_E_FORBIDDEN", "Only its sender or a moderator may delete a message.", {
        permission: "MANAGE_MESSAGES",
        reason: "not-sender",
      });
    });
  }

  /** Pins or unpins a message (in a community channel: needs MANAGE_MESSAGES). */
  async pin(conversationId: string, messageId: string, pinned: boolean): Promise<MessageAction> {
    const content = parse(
      PinContent,
      { v: 1, type: "pin", id: newId(), targetId: messageId, pinned, sentAt: this.now() },
      "VOLLY_E_USAGE",
    );
    return this.actions.perform(conversationId, content, ACTION_RULES.pin, async (target) => {
      if (target.channelId === undefined) return;
      if (await this.actions.moderates(target, this.ctx.profile.accountId)) return;
      throw new VollyError("VOLLY_E_FORBIDDEN", "Pinning in this channel needs MANAGE_MESSAGES.", {
        permission: "MANAGE_MESSAGES",
      });
    });
  }

  private isOwn(target: MessageRecord): boolean {
    return (
      (target.fromAccountId ?? (target.direction === "out" ? this.ctx.profile.accountId : undefined)) ===
      this.ctx.profile.accountId
    );
  }

  /** A strictly increasing clock (ms), so two actions in one millisecond keep their order. */
  private now(): number {
    this.lastSentAt = Math.max(Date.now(), this.lastSentAt + 1);
    return this.lastSentAt;
  }
}
