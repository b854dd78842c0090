import { sdk } from "../lib/sdk.js";
import type { MessageRecord, ThreadSummary } from "../worker/rpc-types.js";
import { messages } from "./messages.svelte.js";

/** What the thread side panel shows: a channel's thread list, or one thread. */
export type ThreadPanelState = { conversationId: string; rootId?: string | undefined };

/**
 * Threads of community channels (the SDK's `threads`): which thread (or thread list) the side panel
 * shows, and each channel's threads with their unread counts. Thread replies arrive as ordinary
 * messages (messages store, `threadId` set); this store refreshes the summaries when one arrives
 * and marks the open thread read while the tab is visible.
 */
class ThreadStore {
  /** The side panel's content; undefined when it is closed. */
  panel = $state<ThreadPanelState | undefined>();
  /** Each channel conversation's threads, most recent reply first (by conversation id). */
  byConversation = $state<Record<string, ThreadSummary[]>>({});
  private timers = new Map<string, ReturnType<typeof setTimeout>>();

  /** The threads of a channel conversation as last loaded. */
  list(conversationId: string): ThreadSummary[] {
    return this.byConversation[conversationId] ?? [];
  }

  /** The unread replies of one thread (0 when unknown). */
  unread(conversationId: string, rootId: string): number {
    return this.list(conversationId).find((t) => t.rootId === rootId)?.unread ?? 0;
  }

  /** Loads a channel's threads again. */
  async refresh(conversationId: string): Promise<void> {
    this.byConversation[conversationId] = await sdk.threads.list(conversationId);
  }

  /** Opens one thread in the side panel, loads its replies and marks it read. */
  openThread(conversationId: string, rootId: string): void {
    this.panel = { conversationId, rootId };
    void sdk.threads
      .messages(conversationId, rootId)
      .then((replies) => {
        for (const m of replies) messages.upsert(m);
      })
      .catch(() => undefined);
    this.markReadSoon(conversationId, rootId);
  }

  /** Shows the channel's thread list in the side panel. */
  openList(conversationId: string): void {
    this.panel = { conversationId };
    void this.refresh(conversationId).catch(() => undefined);
  }

  /** Closes the side panel. */
  close(): void {
    this.panel = undefined;
  }

  /** A message arrived or changed: a thread reply refreshes its channel's threads (or marks the open one read). */
  onMessage(message: MessageRecord): void {
    if (message.threadId === undefined) return;
    const { conversationId, threadId } = message;
    const open = this.panel;
    if (open?.conversationId === conversationId && open.rootId === threadId) {
      this.markReadSoon(conversationId, threadId);
    } else {
      this.refreshSoon(conversationId);
    }
  }

  private markReadSoon(conversationId: string, rootId: string): void {
    this.debounce(`read:${rootId}`, async () => {
      if (document.visibilityState === "visible") await sdk.threads.markRead(conversationId, rootId);
      await this.refresh(conversationId);
    });
  }

  private refreshSoon(conversationId: string): void {
    this.debounce(`list:${conversationId}`, () => this.refresh(conversationId));
  }

  private debounce(key: string, run: () => Promise<void>): void {
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        run().catch(() => undefined);
      }, 150),
    );
  }
}

export const threads = new ThreadStore();

if (typeof document !== "undefined") {
  document.addEventListener("visibilitychange", () => {
    const open = threads.panel;
    if (open?.rootId && document.visibilityState === "visible")
      threads.openThread(open.conversationId, open.rootId);
  });
}
