import type { Outbox } from "../messaging/outbox.js";
import type { ClientContext } from "../shared/client-context.js";
import type { KeyedQueue } from "../shared/keyed-queue.js";
import type { ConversationState } from "./conversation-state.js";
import type { Departures } from "./departures.js";
import type { Directory } from "./directory.js";
import type { GroupCommits } from "./group-commits.js";
import type { MembershipTimeline } from "./membership-timeline.js";
import type { TimelineSummaries } from "./timeline-summaries.js";

/**
 * What the conversation modules (direct, creation, membership, names, welcome, summaries) work
 * with: one instance of each per client, all required (one per-conversation queue, one commit
 * pipeline). Internal: `VollyClient` builds it; applications use `Conversations`.
 */
export interface ConversationServices {
  ctx: ClientContext;
  /** Serializes all work on one conversation's group state. */
  queue: KeyedQueue;
  directory: Directory;
  /** Sends group names (group-meta content). */
  outbox: Outbox;
  state: ConversationState;
  commits: GroupCommits;
  departures: Departures;
  /** Membership events in the conversations' timelines. */
  timeline: MembershipTimeline;
  /** The conversation list's cached last messages and unread counts. */
  summaries: TimelineSummaries;
}
