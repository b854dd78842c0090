import type { AttachmentPointer } from "@volly/protocol";
import { sdk } from "../lib/sdk.js";
import type { ConversationRecord, ConversationSummary } from "../worker/rpc-types.js";
import { presence } from "./presence.svelte.js";

/** Someone this account shares a conversation with. */
export interface Contact {
  handle: string;
  displayName?: string;
}

/** The handle a direct conversation is with, if it is one. */
export function peerOf(conversation: ConversationRecord): string | undefined {
  return conversation.kind === "direct" ? (conversation.peerHandle ?? conversation.title) : undefined;
}

/** The avatar to show for a conversation: a direct conversation's peer's picture, when set. */
export function avatarOf(conversation: ConversationRecord): AttachmentPointer | undefined {
  if (conversation.kind !== "direct") return undefined;
  return conversation.members?.find((m) => m.handle === conversation.peerHandle)?.avatar;
}

/** The name to show for a conversation. */
export function titleOf(conversation: ConversationRecord): string {
  if (conversation.kind === "direct") {
    const peer = conversation.members?.find((m) => m.handle === conversation.peerHandle);
    return peer?.displayName || conversation.peerHandle || conversation.title;
  }
  return conversation.title;
}

/** The conversation list and which conversation is open. */
class ConversationStore {
  /** Not deeply reactive (`$state.raw`): a thousand summaries are replaced, never mutated in place. */
  summaries = $state.raw<ConversationSummary[]>([]);
  selectedId = $state<string | undefined>();
  loaded = $state(false);
  error = $state<string | undefined>();
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;

  get selected(): ConversationSummary | undefined {
    return this.summaries.find((s) => s.conversation.id === this.selectedId);
  }

  /** Everyone this account shares a conversation with, by handle. */
  get contacts(): Contact[] {
    const byHandle = new Map<string, Contact>();
    for (const { conversation } of this.summaries) {
      for (const m of conversation.members ?? []) {
        byHandle.set(
          m.handle,
          m.displayName ? { handle: m.handle, displayName: m.displayName } : { handle: m.handle },
        );
      }
      const peer = peerOf(conversation);
      if (peer && !byHandle.has(peer)) byHandle.set(peer, { handle: peer });
    }
    return [...byHandle.values()].sort((a, b) => a.handle.localeCompare(b.handle));
  }

  /** Reloads the list from the SDK now. */
  async refresh(): Promise<void> {
    try {
      this.summaries = await sdk.conversations.summaries();
      this.error = undefined;
    } catch (err) {
      this.error = err instanceof Error ? err.message : "Could not load conversations.";
    }
    this.loaded = true;
    void presence.refresh(this.contacts.map((c) => c.handle));
  }

  /** Reloads the list soon (coalesces bursts of events). */
  refreshSoon(delayMs = 120): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => void this.refresh(), delayMs);
  }

  /** Adds or replaces one conversation in the list (before the next refresh). */
  upsert(conversation: ConversationRecord): void {
    const i = this.summaries.findIndex((s) => s.conversation.id === conversation.id);
    if (i >= 0) this.replace(i, { ...this.summaries[i]!, conversation });
    else this.summaries = [{ conversation, unread: 0, unreadMentions: 0 }, ...this.summaries];
  }

  select(id: string | undefined): void {
    this.selectedId = id;
  }

  /** Sets the unread count of a conversation to zero locally. */
  clearUnread(id: string): void {
    const i = this.summaries.findIndex((x) => x.conversation.id === id);
    const s = this.summaries[i];
    if (s && (s.unread > 0 || s.unreadMentions > 0)) {
      this.replace(i, { ...s, unread: 0, unreadMentions: 0 });
    }
  }

  /** Replaces the entry at `i` with a new array, as `$state.raw` needs to notice. */
  private replace(i: number, summary: ConversationSummary): void {
    const next = [...this.summaries];
    next[i] = summary;
    this.summaries = next;
  }
}

export const conversations = new ConversationStore();
