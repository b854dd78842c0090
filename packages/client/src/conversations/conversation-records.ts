import type { CommitBody } from "@volly/protocol";
import type { MessageRecord } from "../messaging/message-records.js";

/** A conversation (one MLS group). Stored sealed under `conv:<id>`. */
export interface ConversationRecord {
  id: string;
  kind: "direct" | "group";
  /** For a direct conversation: the other person's handle. */
  peerHandle?: string;
  title: string;
  createdAt: number;
  /** Highest group-log seq this device has processed (durably). */
  lastSeq: number;
  /** Accounts in the conversation other than this one (kept current on commits). */
  members?: ConversationMember[];
  /** receivedAt (ms) of the newest incoming message the user has seen; unread = newer ones. */
  lastReadAt?: number;
  /**
   * Group-log seq up to which another device of this account read the conversation (account
   * sync): incoming messages with a seq at or below it are read too. Never moves backwards.
   */
  readSeq?: number;
  /**
   * True for the account's own sync conversation (only this account's devices; see
   * `account-sync/`). It is never listed, summarised or announced as a conversation.
   */
  self?: boolean;
  /** True once this device left or was removed (read-only history). */
  left?: boolean;
  /**
   * Set when this device had to rejoin the group by external commit (its state was lost or forked):
   * "Messages may have been missed". Cleared by `Conversations.clearNotice` once shown.
   */
  notice?: string;
  /** When (this device's clock, ms) the notice was set, so a UI can place it in the timeline. */
  noticeAt?: number;
  /** How many times this device rejoined this conversation's group by external commit. */
  recoveries?: number;
}

/** A member account of a conversation as the UI shows it. */
export interface ConversationMember {
  accountId: string;
  handle: string;
  displayName?: string;
}

/** A conversation with what the conversation list shows. */
export interface ConversationSummary {
  conversation: ConversationRecord;
  lastMessage?: MessageRecord;
  unread: number;
}

/**
 * A commit sent to the delivery service whose outcome is not known yet (the server could not be
 * reached). Stored sealed per conversation until it is settled: resent with the same bytes, then
 * adopted if accepted or dropped if another commit won the epoch.
 */
export interface PendingCommitRecord {
  body: CommitBody;
  /** The state to adopt once the server accepted the commit (base64url of encodeGroup). */
  newGroup: string;
}
