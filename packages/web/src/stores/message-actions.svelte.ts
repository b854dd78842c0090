import { describeError } from "../lib/errors.js";
import { reactedByMe } from "../lib/message-actions.js";
import { sdk } from "../lib/sdk.js";
import { revealMessage } from "../lib/timeline-jump.js";
import type { MessageAction, MessageRecord } from "../worker/rpc-types.js";
import { conversations } from "./conversations.svelte.js";
import { messages } from "./messages.svelte.js";

/** How long a message the user jumped to stays highlighted, ms. */
const HIGHLIGHT_MS = 2_500;

/**
 * What the chat is doing with messages right now — replying to one, editing one, asking before
 * deleting one, showing the pinned list, highlighting the one jumped to — and the calls that act on
 * messages (the SDK checks every permission again; a refusal shows as `error`). The records
 * themselves change through the SDK's "message-update" events (messages store).
 */
class MessageActionStore {
  /** The message each conversation's composer replies to (by conversation id). */
  replyTo = $state<Record<string, MessageRecord | undefined>>({});
  /** The message being edited in place. */
  editingId = $state<string | undefined>();
  /** The message the delete dialog asks about. */
  deleting = $state<MessageRecord | undefined>();
  /** The conversation whose pinned list is open. */
  pinnedOpen = $state<string | undefined>();
  /** Bumped when a pin or unpin is applied, so an open pinned list reloads. */
  pinsVersion = $state(0);
  /** The message jumped to, highlighted for a moment. */
  highlightId = $state<string | undefined>();
  /** The last action applied by someone else, for the chat's live region. */
  lastIncoming = $state<MessageAction | undefined>();
  /** Why the last action failed. */
  error = $state<string | undefined>();
  private highlightTimer: ReturnType<typeof setTimeout> | undefined;

  startReply(message: MessageRecord): void {
    this.replyTo[message.conversationId] = message;
  }

  cancelReply(conversationId: string): void {
    this.replyTo[conversationId] = undefined;
  }

  /** Adds this account's reaction `emoji`, or takes it back when it is there. */
  async toggleReaction(
    message: MessageRecord,
    emoji: string,
    myAccountId: string | undefined,
  ): Promise<void> {
    const existing = message.reactions?.find((r) => r.emoji === emoji);
    const mine = existing !== undefined && reactedByMe(existing, myAccountId);
    await this.run(() =>
      mine
        ? sdk.messaging.unreact(message.conversationId, message.id, emoji)
        : sdk.messaging.react(message.conversationId, message.id, emoji),
    );
  }

  /** Saves an edit (unchanged or empty text: nothing is sent) and leaves the editor. */
  async saveEdit(message: MessageRecord, text: string): Promise<void> {
    const next = text.trim();
    this.editingId = undefined;
    if (!next || next === message.text) return;
    await this.run(() => sdk.messaging.edit(message.conversationId, message.id, next));
  }

  /** Deletes the message the dialog asked about, for everyone or on this device only. */
  async confirmDelete(scope: "everyone" | "me"): Promise<void> {
    const message = this.deleting;
    this.deleting = undefined;
    if (!message) return;
    const ok = await this.run(() => sdk.messaging.delete(message.conversationId, message.id, scope));
    if (ok && scope === "me") {
      messages.remove(message.conversationId, message.id);
      conversations.refreshSoon();
    }
    if (this.replyTo[message.conversationId]?.id === message.id) this.cancelReply(message.conversationId);
  }

  async setPinned(message: MessageRecord, pinned: boolean): Promise<void> {
    await this.run(() =>
      pinned
        ? sdk.messaging.pin(message.conversationId, message.id)
        : sdk.messaging.unpin(message.conversationId, message.id),
    );
  }

  /** An action was applied (SDK event): reload pinned lists; keep others' for the live region. */
  onAction(action: MessageAction): void {
    if (action.type === "pin") this.pinsVersion++;
    if (action.direction === "in") this.lastIncoming = action;
  }

  /**
   * Scrolls the chat to a loaded message (the timeline is virtualized: its row may not be in the
   * DOM until then), moves the focus there (for keyboard and screen reader users) and highlights
   * it for a moment.
   *
   * @returns false when the message is not in the open chat
   */
  async jumpTo(messageId: string): Promise<boolean> {
    const row = await revealMessage(messageId);
    if (!row) {
      this.error = "That message is not loaded in this chat.";
      return false;
    }
    row.focus({ preventScroll: true });
    this.highlightId = messageId;
    clearTimeout(this.highlightTimer);
    this.highlightTimer = setTimeout(() => {
      if (this.highlightId === messageId) this.highlightId = undefined;
    }, HIGHLIGHT_MS);
    return true;
  }

  /** Runs an SDK call; a failure shows as `error`. Returns whether it succeeded. */
  private async run(call: () => Promise<unknown>): Promise<boolean> {
    this.error = undefined;
    try {
      await call();
      return true;
    } catch (err) {
      this.error = describeError(err);
      return false;
    }
  }
}

export const messageActions = new MessageActionStore();
