import { sdk } from "../lib/sdk.js";
import type { MessageRecord } from "../worker/rpc-types.js";

const HISTORY_LIMIT = 200;

/** Messages of the conversations opened so far, oldest first. */
class MessageStore {
  byConversation = $state<Record<string, MessageRecord[]>>({});
  loading = $state<Record<string, boolean>>({});

  list(conversationId: string): MessageRecord[] {
    return this.byConversation[conversationId] ?? [];
  }

  /** Loads a conversation's history (once; later messages arrive as events). */
  async load(conversationId: string, force = false): Promise<void> {
    if (this.byConversation[conversationId] && !force) return;
    this.loading[conversationId] = true;
    try {
      const history = await sdk.messaging.history(conversationId, HISTORY_LIMIT);
      // keep messages that arrived as events while the history was loading
      const current = this.byConversation[conversationId] ?? [];
      const merged = new Map(history.map((m) => [m.id, m]));
      for (const m of current) merged.set(m.id, { ...merged.get(m.id), ...m });
      this.byConversation[conversationId] = sortMessages([...merged.values()]);
    } finally {
      this.loading[conversationId] = false;
    }
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
