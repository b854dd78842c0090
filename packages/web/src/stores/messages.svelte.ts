import { sdk } from "../lib/sdk.js";
import type { MessageRecord } from "../worker/rpc-types.js";

/** How many messages a chat loads first, and how many more each time older ones are loaded. */
const HISTORY_LIMIT = 200;
/** The most messages {@link MessageStore.loadUntil} loads to reach an older one. */
const MAX_HISTORY = 50_000;

/** Messages of the conversations opened so far, oldest first. */
class MessageStore {
  byConversation = $state<Record<string, MessageRecord[]>>({});
  loading = $state<Record<string, boolean>>({});
  /** Whether the oldest message of a conversation is loaded (its history returned fewer than asked). */
  complete = $state<Record<string, boolean>>({});
  /** Whether older messages of a conversation are being loaded ({@link MessageStore.loadOlder}). */
  loadingOlder = $state<Record<string, boolean>>({});

  list(conversationId: string): MessageRecord[] {
    return this.byConversation[conversationId] ?? [];
  }

  /** Loads a conversation's history (once; later messages arrive as events). */
  async load(conversationId: string, force = false): Promise<void> {
    if (this.byConversation[conversationId] && !force) return;
    this.loading[conversationId] = true;
    try {
      this.mergeHistory(
        conversationId,
        await sdk.messaging.history(conversationId, HISTORY_LIMIT),
        HISTORY_LIMIT,
      );
    } finally {
      this.loading[conversationId] = false;
    }
  }

  /**
   * Loads the next HISTORY_LIMIT older messages of a conversation (the user scrolled near the top
   * of what is loaded). Nothing when they are all loaded or a load is under way. The SDK has no
   * "before this message" query: it asks for the newest `loaded + HISTORY_LIMIT` and merges them.
   */
  async loadOlder(conversationId: string): Promise<void> {
    if (this.complete[conversationId] || this.loadingOlder[conversationId] || this.loading[conversationId])
      return;
    if (!this.byConversation[conversationId]) return this.load(conversationId);
    this.loadingOlder[conversationId] = true;
    try {
      const limit = this.list(conversationId).length + HISTORY_LIMIT;
      this.mergeHistory(conversationId, await sdk.messaging.history(conversationId, limit), limit);
    } finally {
      this.loadingOlder[conversationId] = false;
    }
  }

  /**
   * Loads a conversation's history back until it holds `messageId` (a search hit, older than what
   * is loaded): four times as many messages each round, up to MAX_HISTORY.
   *
   * @returns whether the message is loaded
   */
  async loadUntil(conversationId: string, messageId: string): Promise<boolean> {
    await this.load(conversationId);
    const has = () => this.list(conversationId).some((m) => m.id === messageId);
    let limit = Math.max(HISTORY_LIMIT, this.list(conversationId).length);
    while (!has() && limit < MAX_HISTORY) {
      limit = Math.min(MAX_HISTORY, limit * 4);
      const history = await sdk.messaging.history(conversationId, limit);
      this.mergeHistory(conversationId, history, limit);
      if (history.length < limit) break;
    }
    return has();
  }

  /** Merges history asked for with `limit`: fewer than asked means the oldest message is in it. */
  private mergeHistory(conversationId: string, history: MessageRecord[], limit: number): void {
    this.merge(conversationId, history);
    if (history.length < limit) this.complete[conversationId] = true;
  }

  /** Adds loaded history to what is shown, keeping messages that arrived as events meanwhile. */
  private merge(conversationId: string, history: MessageRecord[]): void {
    const current = this.byConversation[conversationId] ?? [];
    const merged = new Map(history.map((m) => [m.id, m]));
    for (const m of current) merged.set(m.id, { ...merged.get(m.id), ...m });
    this.byConversation[conversationId] = sortMessages([...merged.values()]);
  }

  /** Adds a message or replaces it by id (status changes). A known message never moves back in status. */
  upsert(message: MessageRecord): void {
    const list = this.byConversation[message.conversationId];
    if (!list) return; // loaded with the history when the conversation is opened
    const i = list.findIndex((m) => m.id === message.id);
    if (i < 0) {
      this.byConversation[message.conversationId] = sortMessages([...list, message]);
      return;
    }
    const old = list[i]!;
    if (rank(message.status) >= rank(old.status)) list[i] = message;
  }

  /** Removes a message deleted on this device only ("Delete for me"). */
  remove(conversationId: string, messageId: string): void {
    const list = this.byConversation[conversationId];
    if (list) this.byConversation[conversationId] = list.filter((m) => m.id !== messageId);
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

function sortMessages(list: MessageRecord[]): MessageRecord[] {
  return list.sort((a, b) => a.sentAt - b.sentAt || a.id.localeCompare(b.id));
}

export const messages = new MessageStore();
