import type { AttachmentPointer, CommitBody, EntityType, HistoryPolicy } from "@volly/protocol";
import type { MessageRecord } from "../messaging/message-records.js";

/** A conversation (one MLS group). Stored sealed under `conv:<id>`. */
export interface ConversationRecord {
  /** The conversation's id, also its MLS group's id on the server (22 base64url characters). */
  id: string;
  /**
   * "direct": two accounts (all their devices); "group": a named group of accounts; "channel": a
   * community's text or announcement channel (membership follows VIEW_CHANNEL; see `communities/`).
   */
  kind: "direct" | "group" | "channel";
  /** For a channel: the community it belongs to. */
  communityId?: string;
  /** For a channel: the channel's id in its community (the conversation id is its MLS group's). */
  channelId?: string;
  /** For a direct conversation: the other person's handle. */
  peerHandle?: string;
  /**
   * What a UI shows: a group's name, the other person's handle for a direct conversation, `#name`
   * for a channel.
   */
  title: string;
  /** When this device created or joined the conversation (ms since the Unix epoch). */
  createdAt: number;
  /** Highest group-log seq this device has processed (durably). */
  lastSeq: number;
  /**
   * The epoch this device's group state begins at: 0 for a group it created, the Welcome's epoch
   * when it was added, the epoch after its external commit when it rejoined. Messages of earlier
   * epochs (sent while the commit adding it was in flight) were never meant for it: they are
   * skipped, not counted undecryptable. Unset in records stored before it existed.
   */
  joinedEpoch?: number;
  /** Accounts in the conversation other than this one (kept current on commits). */
  members?: ConversationMember[];
  /**
   * Accounts that were members and are no longer (removed or left), with the names they had, so
   * their old messages and the events about them keep their names. An account added again moves
   * back to `members`.
   */
  formerMembers?: ConversationMember[];
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
   * How this device's membership ended, when it knows: it left, or a commit by `by` removed it
   * (undefined when it only learned from the server that it is no longer a member).
   */
  membershipEnd?: MembershipEnd;
  /**
   * The group's name as its members last announced it (a group-meta message, or this device's
   * own create or rename): a group-meta with another name is a rename, shown as an event. Unset
   * until the first name arrives after joining (learning the name is no rename).
   */
  groupName?: string;
  /**
   * Who added this account, kept while a conversation joined by Welcome still looks direct (a group
   * of two accounts whose name has not arrived): the "added you" event is recorded once the name
   * shows it is a group. Cleared then.
   */
  joinedBy?: { by: ConversationMember; at: number };
  /**
   * Set when this device had to rejoin the group by external commit (its state was lost or forked):
   * `RECOVERY_NOTICE`. Cleared by `Conversations.clearNotice` once shown.
   */
  notice?: string;
  /** When (this device's clock, ms) the notice was set, so a UI can place it in the timeline. */
  noticeAt?: number;
  /** How many times this device rejoined this conversation's group by external commit. */
  recoveries?: number;
  /**
   * For a channel: where this device's history starts, so a UI never shows a cut silently
   * (DESIGN.md "History for newcomers"). Set when the device joins the channel's group, completed
   * when a member device shares the channel's history with it.
   */
  historyStart?: HistoryStart;
}

/**
 * Where a channel conversation's history starts on this device: the channel's history policy when
 * it joined, and what a member device shared under it. A UI says "History from <since>, shared by
 * @sharedBy" once something was shared, else "History starts when you joined" — and "No earlier
 * messages are shared in this channel" for the policy `none`.
 */
export interface HistoryStart {
  /** The channel's history policy when this device joined (the server's setting). */
  policy: HistoryPolicy;
  /** When this device joined the channel's group (this device's clock, ms). */
  joinedAt: number;
  /** Handle of the member whose device shared the history (the first one, when several did). */
  sharedBy?: string;
  /** Start of the window shared (ms): messages from then on were given, as the sharer held them. */
  since?: number;
  /** How many messages were shared (all bundles together, duplicates not counted). */
  messages?: number;
}

/** A member account of a conversation as the UI shows it. */
export interface ConversationMember {
  /** The account's id. */
  accountId: string;
  /** The account's handle, without `@`. */
  handle: string;
  /** The name the account shows next to its handle, when it set one. */
  displayName?: string;
  /**
   * What the account is — human, bot, agent, service or device — from the directory (the account
   * chose it at registration), kept with the member so clients show it without a look-up per
   * message. Absent on members recorded before the SDK kept it, until the group's next membership
   * change; read it through `entityTypeOf`, which treats absent as "human".
   */
  entityType?: EntityType;
  /**
   * The account's avatar (an encrypted image; its `thumbnail` is what lists show, the full image
   * comes from `client.attachments.download`), when it set one and sent it here (ProfileContent).
   */
  avatar?: AttachmentPointer;
  /** `sentAt` (ms, sender's clock) of the profile message that last set or removed `avatar`. */
  avatarAt?: number;
}

/** How this device's membership of a group ended (see `ConversationRecord.membershipEnd`). */
export interface MembershipEnd {
  /** "left": this device left; "removed": a member's commit removed it. */
  reason: "left" | "removed";
  /** "removed": the member whose commit removed this device. */
  by?: ConversationMember;
  /** When (ms; the commit's log time, or this device's clock when it left). */
  at: number;
}

/** A conversation with what the conversation list shows. */
export interface ConversationSummary {
  /** The conversation itself. */
  conversation: ConversationRecord;
  /** The newest record of its timeline: a message or a membership event. */
  lastMessage?: MessageRecord;
  /** Incoming messages not read yet (membership events never count). */
  unread: number;
  /** Of the `unread` messages, those that mention this account (`MessageRecord.mentionsMe`). */
  unreadMentions: number;
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
