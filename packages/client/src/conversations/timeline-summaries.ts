import type { MessageRecord } from "../messaging/message-records.js";
import type { StagedMessageChange } from "../storage/message-stores.js";
import type { Stores } from "../storage/stores.js";
import type { VaultBatch } from "../storage/vault.js";
import type { ConversationRecord } from "./conversation-records.js";

/**
 * What a conversation's list entry takes from its messages (see `summaries.ts`), as counted at one
 * read position. Kept sealed per conversation (`RECORD_PREFIXES.timelineSummary`) so a start does
 * not read every conversation's newest messages again.
 */
export interface TimelineSummary {
  /** The conversation's `lastReadAt` it was counted at (0: none). */
  lastReadAt: number;
  /** The conversation's `readSeq` it was counted at (0: none). */
  readSeq: number;
  /** The newest record of the main timeline (not a thread reply). */
  lastMessage?: MessageRecord;
  /** Unread incoming messages. */
  unread: number;
  /** Of those, the ones that mention this account. */
  unreadMentions: number;
}

/** Counts a conversation's summary from its messages, at its current read position. */
export type CountSummary = (conversation: ConversationRecord) => Promise<TimelineSummary>;

/**
 * The conversations' {@link TimelineSummary}s, cached in memory and in the store and dropped when
 * they go stale:
 *
 * - a message write to a conversation (`MessageStore.watch`: new, edited, reacted, deleted) stages
 *   the removal of its stored summary in the same batch, so no stored summary outlives a write;
 * - a summary counted at another read position than the conversation's now is counted again.
 *
 * A summary counted while a write to its conversation was staged or committing is not kept (the
 * count may have read the store before the write landed): each conversation's writes bump a
 * generation when staged and again when committed, and a count is stored only if the generation
 * did not move meanwhile.
 */
export class TimelineSummaries {
  private readonly memory = new Map<string, TimelineSummary>();
  private readonly generations = new Map<string, number>();
  private loaded: Promise<void> | undefined;

  /** @param stores the open profile's stores (the cache watches their message writes) */
  constructor(private readonly stores: Stores) {
    stores.messages.watch((batch, change) => this.staged(batch, change));
  }

  /**
   * The summary of each conversation, counted with `count` where none is cached or the cached one
   * is of another read position; the ones counted are stored (one batch).
   */
  async of(conversations: readonly ConversationRecord[], count: CountSummary): Promise<TimelineSummary[]> {
    this.loaded ??= this.load();
    await this.loaded;
    const out: TimelineSummary[] = [];
    const counted: Array<{ id: string; generation: number; summary: TimelineSummary }> = [];
    for (const conversation of conversations) {
      const cached = this.memory.get(conversation.id);
      if (cached && atReadPosition(cached, conversation)) {
        out.push(cached);
        continue;
      }
      const generation = this.generation(conversation.id);
      const summary = await count(conversation);
      out.push(summary);
      counted.push({ id: conversation.id, generation, summary });
    }
    // From the check to commit() nothing awaits: a write staged later also commits later (its
    // transaction starts after this one), so its removal of the summary wins.
    const batch = this.stores.batch();
    for (const { id, generation, summary } of counted) {
      if (this.generation(id) !== generation) continue;
      this.memory.set(id, summary);
      this.stores.timelineSummaries.put(batch, id, summary);
    }
    await batch.commit();
    return out;
  }

  /** Reads the stored summaries into memory (once per open profile). */
  private async load(): Promise<void> {
    for (const [id, summary] of await this.stores.timelineSummaries.list()) {
      if (!this.memory.has(id) && !this.generations.has(id)) this.memory.set(id, summary);
    }
  }

  private generation(conversationId: string): number {
    return this.generations.get(conversationId) ?? 0;
  }

  private bump(conversationId: string): void {
    this.generations.set(conversationId, this.generation(conversationId) + 1);
    this.memory.delete(conversationId);
  }

  private staged(batch: VaultBatch, change: StagedMessageChange): void {
    const conversationId = change.kind === "put" ? change.message.conversationId : change.conversationId;
    this.bump(conversationId);
    this.stores.timelineSummaries.delete(batch, conversationId);
    batch.onCommit(() => this.bump(conversationId));
  }
}

function atReadPosition(summary: TimelineSummary, conversation: ConversationRecord): boolean {
  return (
    summary.lastReadAt === (conversation.lastReadAt ?? 0) && summary.readSeq === (conversation.readSeq ?? 0)
  );
}
