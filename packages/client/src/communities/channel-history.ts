import type { ChannelHistoryContent, GroupMessageEvent } from "@volly/protocol";
import { hasPermission, LIMITS, memberChannelPermissions } from "@volly/protocol";
import type { ConversationRecord } from "../conversations/conversation-records.js";
import type { ConversationState, DevicesJoined } from "../conversations/conversation-state.js";
import type { ContentOutcome } from "../messaging/content/content-handler.js";
import type { Outbox } from "../messaging/outbox.js";
import type { ClientContext } from "../shared/client-context.js";
import type { KeyedQueue } from "../shared/keyed-queue.js";
import { unrefTimer } from "../shared/timers.js";
import type { VaultBatch } from "../storage/vault.js";
import { planChannelHistory, stageSharedHistory } from "./channel-history-bundle.js";
import type { CommunityReads } from "./community-reads.js";
import {
  HISTORY_SHARE_FRESH_MS,
  HISTORY_SHARE_STAGGER_MS,
  type SharingTurn,
  sharingTurn,
} from "./history-sharers.js";

/** How much older than the policy allows a shared message may be dated (sender clocks drift; ms). */
const CLOCK_SKEW_MS = 3600 * 1000;
const DAY_MS = 24 * 3600 * 1000;

/** What {@link ChannelHistory} works with. */
export interface ChannelHistoryDeps {
  ctx: ClientContext;
  queue: KeyedQueue;
  outbox: Outbox;
  state: ConversationState;
  /** The client's shared community reads (the role table sharing is decided from). */
  reads: CommunityReads;
}

/**
 * History for newcomers in community channels (DESIGN.md "History for newcomers", after Matrix
 * MSC4268), both sides:
 * - **sharing**: when a commit brings devices of other accounts into a channel's group
 *   (`ConversationState.joins`), this device decides with `sharingTurn` whether it is one of the
 *   channel's sharers; the first shares at once, the next ones HISTORY_SHARE_STAGGER_MS apart and
 *   only for newcomers nobody served meanwhile. The bundle (`channel-history` content, encrypted in
 *   the channel's group and addressed to the joined devices) holds the messages this device has
 *   since the window's start ("last N days"); nothing is shared for "none" or "from join", or to
 *   accounts without READ_MESSAGE_HISTORY;
 * - **receiving**: a bundle addressed to this device is stored as history labelled "shared by"
 *   its sender, within what the channel's policy allowed when this device joined, and the
 *   conversation's `historyStart` says where history starts and who shared it. Other members
 *   only note the newcomers as served.
 */
export class ChannelHistory {
  /** Joined devices known to be served, by conversation id (in memory: a restart forgets it). */
  private readonly served = new Map<string, Set<string>>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private readonly running = new Set<Promise<void>>();
  private stop: (() => void) | undefined;

  constructor(private readonly deps: ChannelHistoryDeps) {}

  /** Starts sharing with devices that join channels this device is in. */
  start(): void {
    this.stop ??= this.deps.state.joins.add((joined) => this.track(this.consider(joined)));
  }

  /** Resolves once the sharing decided or started so far has ended (turns still waiting excepted). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  /** Stops sharing; turns waiting for their time are dropped. */
  dispose(): void {
    this.stop?.();
    this.stop = undefined;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  /**
   * Applies a received channel-history chunk (inside the conversation's queue; `batch` holds the
   * advanced conversation and group state): stores what is addressed to this device (see the
   * class), commits `batch` and reports the stored messages as updates.
   */
  async receiveLocked(
    chunk: ChannelHistoryContent,
    event: Pick<GroupMessageEvent, "senderHandle">,
    advanced: ConversationRecord,
    batch: VaultBatch,
  ): Promise<ContentOutcome> {
    const { ctx, state } = this.deps;
    this.note(advanced.id, chunk.to);
    const start = advanced.historyStart;
    if (
      !chunk.to.includes(ctx.profile.deviceId) ||
      advanced.kind !== "channel" ||
      start?.policy.kind !== "days"
    ) {
      await batch.commit();
      return {};
    }
    const floor = start.joinedAt - start.policy.days * DAY_MS - CLOCK_SKEW_MS;
    const { stores } = ctx;
    const stored = await stageSharedHistory(
      stores.messages,
      batch,
      chunk,
      advanced,
      ctx.profile.handle,
      event.senderHandle,
      floor,
    );
    const conv: ConversationRecord = {
      ...advanced,
      historyStart: {
        ...start,
        sharedBy: start.sharedBy ?? event.senderHandle,
        since: Math.min(start.since ?? Number.POSITIVE_INFINITY, Math.max(chunk.since, floor)),
        messages: (start.messages ?? 0) + stored.length,
      },
    };
    await stores.conversations.save(batch, conv).commit();
    state.changes.emit(conv);
    return stored.length > 0 ? { updated: stored } : {};
  }

  private async consider(joined: DevicesJoined): Promise<void> {
    if (Date.now() - joined.at > HISTORY_SHARE_FRESH_MS) return;
    const conv = await this.deps.ctx.stores.conversations.get(joined.conversationId);
    if (conv?.kind !== "channel" || conv.left || !conv.communityId || !conv.channelId) return;
    const turn = await this.turnOf(conv.communityId, conv.channelId, joined);
    if (!turn) return;
    if (turn.rank === 0) return this.share(conv.id, turn);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.track(this.share(conv.id, turn));
    }, turn.rank * HISTORY_SHARE_STAGGER_MS);
    unrefTimer(timer);
    this.timers.add(timer);
  }

  /**
   * This device's sharing turn, from the community as recently read (`CommunityReads`) —
   * read again when that read does not let every joined account view the channel (the server let
   * them in, so their access was granted after that read).
   */
  private async turnOf(
    communityId: string,
    channelId: string,
    joined: DevicesJoined,
  ): Promise<SharingTurn | undefined> {
    const now = Date.now();
    for (const fresh of [false, true]) {
      const community = await this.deps.reads.read(communityId, fresh);
      const channel = community.channels.find((c) => c.channelId === channelId);
      if (!channel) return undefined;
      const current = joined.added.every((m) =>
        hasPermission(
          memberChannelPermissions(community, channel, m.credential.accountId, now),
          "VIEW_CHANNEL",
        ),
      );
      if (current || fresh)
        return sharingTurn(community, channel, joined, this.deps.ctx.profile.deviceId, now);
    }
    return undefined;
  }

  /** Sends the history to the turn's recipients nobody served yet, in the conversation's queue. */
  private async share(conversationId: string, turn: SharingTurn): Promise<void> {
    const { ctx, queue, outbox } = this.deps;
    const served = this.served.get(conversationId);
    const waiting = turn.recipients.filter((d) => !served?.has(d));
    if (waiting.length === 0 || !this.stop) return;
    const sent = await queue.run(conversationId, async () => {
      const conv = await ctx.stores.conversations.get(conversationId);
      if (!conv || conv.left) return false;
      for (let i = 0; i < waiting.length; i += LIMITS.maxHistoryRecipients) {
        const to = waiting.slice(i, i + LIMITS.maxHistoryRecipients);
        for (const chunk of await planChannelHistory(ctx.stores.messages, conversationId, to, turn.since)) {
          await outbox.addLocked(conversationId, chunk);
        }
      }
      this.note(conversationId, waiting);
      return true;
    });
    if (sent) await outbox.flush();
  }

  /** Keeps `work` for {@link idle}; its failure goes to diagnostics ("communities.history"). */
  private track(work: Promise<void>): void {
    const done = work.catch(this.deps.ctx.diagnostics.catcher("communities.history"));
    this.running.add(done);
    void done.then(() => this.running.delete(done));
  }

  private note(conversationId: string, deviceIds: readonly string[]): void {
    let served = this.served.get(conversationId);
    if (!served) {
      served = new Set();
      this.served.set(conversationId, served);
    }
    for (const id of deviceIds) served.add(id);
  }
}
