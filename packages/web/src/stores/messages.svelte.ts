import { sdk } from "../lib/sdk.js";
import type { MessageRecord } from "../worker/rpc-types.js";

/** How many messages a chat loads first, and how many more each time older ones are loaded. */
const HISTORY_LIMIT = 200;
/** The most messages {@link MessageStore.loadUntil} loads to reach an older one. */
const MAX_HISTORY = 50_000;

/** Where the next page of older history starts: the oldest message a history page returned. */
type Cursor = Pick<MessageRecord, "id" | "sentAt">;

/** Messages of the conversations opened so far, oldest first. */
class MessageStore {
  /**
   * Not deeply reactive (`$state.raw`): a conversation's list (up to thousands of messages) is
   * replaced on every change, never mutated, so reading it costs no proxy per message.
   */
  byConversation = $state.raw<Record<string, MessageRecord[]>>({});
  loading = $state<Record<string, boolean>>({});
  /** Whether the oldest message of a conversation is loaded (its history returned fewer than asked). */
  complete = $state<Record<string, boolean>>({});
  /** Whether older messages of a conversation are being loaded ({@link MessageStore.loadOlder}). */
  loadingOlder = $state<Record<string, boolean>>({});
  /**
   * The oldest message loaded from each conversation's stored history (not one that arrived late as
   * an event with an older timestamp, which would skip the messages between).
   */
  private cursors: Record<string, Cursor | undefined> = {};

  list(conversationId: string): MessageRecord[] {
    return this.byConversation[conversationId] ?? [];
  }

  /** Loads a conversation's history (once; later messages arrive as events). */
  async load(conversationId: string, force = false): Promise<void> {
    if (this.byConversation[conversationId] && !force) return;
    this.loading[conversationId] = true;
    try {
      this.mergePage(conversationId, await sdk.messaging.history(conversationId, HISTORY_LIMIT));
    } finally {
      this.loading[conversationId] = false;
    }
  }

  /**
   * Loads the next HISTORY_LIMIT older messages of a conversation (the user scrolled near the top
   * of what is loaded): the page before the oldest one loaded (`history`'s `before`), so each page
   * costs the same however far back it is. Nothing when they are all loaded or a load is under way.
   */
  async loadOlder(conversationId: string): Promise<void> {
    if (this.complete[conversationId] || this.loadingOlder[conversationId] || this.loading[conversationId])
      return;
    if (!this.byConversation[conversationId]) return this.load(conversationId);
    this.loadingOlder[conversationId] = true;
    try {
      const before = this.cursors[conversationId];
      this.mergePage(conversationId, await sdk.messaging.history(conversationId, HISTORY_LIMIT, before));
    } finally {
      this.loadingOlder[conversationId] = false;
    }
  }

  /**
   * Loads a conversation's history back until it holds `messageId` (a search hit, older than what
   * is loaded): page after page of older messages, up to MAX_HISTORY.
   *
   * @returns whether the message is loaded
   */
  async loadUntil(conversationId: string, messageId: string): Promise<boolean> {
    await this.load(conversationId);
    const has = () => this.list(conversationId).some((m) => m.id === messageId);
    while (!has() && !this.complete[conversationId] && this.list(conversationId).length < MAX_HISTORY) {
      // Bigger pages than scrolling loads: a search hit can be thousands of messages back.
      const page = Math.min(MAX_HISTORY, Math.max(HISTORY_LIMIT, this.list(conversationId).length * 3));
      const before = this.cursors[conversationId];
      this.mergePage(conversationId, await sdk.messaging.history(conversationId, page, before), page);
    }
    return has();
  }

  /**
   * Merges a page of history asked for with `limit`: its oldest message is where the next page
   * starts, and fewer than asked means the conversation's oldest message is in it.
   */
  private mergePage(conversationId: string, page: MessageRecord[], limit = HISTORY_LIMIT): void {
    this.merge(conversationId, page);
    const oldest = page[0];
    if (oldest) this.cursors[conversationId] = { id: oldest.id, sentAt: oldest.sentAt };
    if (page.length < limit) this.complete[conversationId] = true;
  }

  /** Adds loaded history to what is shown, keeping messages that arrived as events meanwhile. */
  private merge(conversationId: string, history: MessageRecord[]): void {
    const current = this.byConversation[conversationId] ?? [];
    const merged = new Map(history.map((m) => [m.id, m]));
    for (const m of current) merged.set(m.id, { ...merged.get(m.id), ...m });
    this.set(conversationId, sortMessages([...merged.values()]));
  }

  /** Replaces a conversation's list (a new record: `$state.raw` notices only assignments). */
  private set(conversationId: string, list: MessageRecord[]): void {
    this.byConversation = { ...this.byConversation, [conversationId]: list };
  }

  /** Adds a message or replaces it by id (status changes). A known message never moves back in status. */
  upsert(message: MessageRecord): void {
    const list = this.byConversation[message.conversationId];
    if (!list) return; // loaded with the history when the conversation is opened
    const i = list.findIndex((m) => m.id === message.id);
    if (i < 0) {
      this.set(message.conversationId, sortMessages([...list, message]));
      return;
    }
    const old = list[i]!;
    if (rank(message.status) < rank(old.status)) return;
    const next = [...list];
    next[i] = message;
    this.set(message.conversationId, next);
  }

  /** Removes a message deleted on this device only ("Delete for me"). */
  remove(conversationId: string, messageId: string): void {
    const list = this.byConversation[conversationId];
    if (list)
      this.set(
        conversationId,
        list.filter((m) => m.id !== messageId),
      );
  }
}

const ORDER: Record<MessageRecord["status"], number> = {
  pending: 0,
  sent: 1,
  delivered: 2,
  read: 3,
  received: 0,
};

function rank(status: MessageRecord["status"]): number {
  return ORDER[status];
}

/** Orders as the SDK's store does: by `sentAt`, then id in code-unit order (not locale order). */
function sortMessages(list: MessageRecord[]): MessageRecord[] {
  return list.sort((a, b) => a.sentAt - b.sentAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export const messages = new MessageStore();
