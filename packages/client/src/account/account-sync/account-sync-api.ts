import type { ConversationRecord } from "../../conversations/conversation-records.js";
import type { Listeners } from "../../shared/listeners.js";
import type { SyncedContact, SyncedConversation } from "./account-doc.js";

/**
 * Why an entry of the self conversation was ignored (counted by {@link AccountSync.rejected}):
 * "malformed" (does not decode or apply, or is no content of the self conversation), "foreign"
 * (not from this account, or the group holds a device of another account), "too-large" (a local
 * update over `LIMITS.maxAccountSyncUpdateChars`, not sent).
 */
export type AccountSyncRejection = "malformed" | "foreign" | "too-large";

/** One ignored entry or dropped update (ids and causes only, never content). */
export interface AccountSyncDiagnostic {
  /** Why it was ignored. */
  cause: AccountSyncRejection;
  /** The entry's message id ("" or absent for an update of this device that was not sent). */
  messageId?: string;
}

/** A received history hand-over chunk (see {@link AccountSync.historyImported}). */
export interface HistoryImport {
  /** The id of the hand-over the chunk belongs to (one per linked device). */
  transfer: string;
  /** The chunk's position in the hand-over, from 0. */
  index: number;
  /** How many chunks the hand-over has. */
  total: number;
  /** Messages stored from this chunk (already known ids are not counted). */
  stored: number;
}

/** What a hand-over to a new device sent (`LinkedDevice.handOver`). */
export interface HandOverResult {
  /** Whether the full account state was sent (false: this device is not in the self conversation). */
  stateSent: boolean;
  /** Messages handed over (0 without history). */
  messages: number;
  /** Chunks they were sent in (each at most `HISTORY_CHUNK_BYTES`). */
  chunks: number;
  /** Messages left out (still pending, or too large). */
  skipped: number;
}

/**
 * `client.accountSync`: keeps this account's devices in sync — contacts, the conversation list and
 * group names, read marks, settings and recurring schedules — through one Yjs document exchanged in an MLS conversation
 * only this account's devices are members of (the hidden self conversation, like Signal's sync
 * messages). Concurrent changes merge; a newly linked device receives the full state, and
 * optionally the message history. It runs on its own; these members observe it. Nothing here
 * throws into delivery: bad entries are counted ({@link AccountSync.rejected}) and ignored.
 */
export interface AccountSync {
  /** The id of this account's self conversation (the same on all its devices). */
  readonly selfId: string;
  /** Fires for each ignored entry of the self conversation or dropped update. */
  readonly diagnostics: Listeners<AccountSyncDiagnostic>;
  /** Fires after each history hand-over chunk addressed to this device was stored. */
  readonly historyImported: Listeners<HistoryImport>;

  /** This account's contacts as its devices together know them, by handle. */
  contacts(): Promise<SyncedContact[]>;

  /** The account's conversation list as its devices together know it. */
  conversationList(): Promise<SyncedConversation[]>;

  /**
   * The account's read mark of a conversation: the highest group-log seq any of its devices has
   * read (0 when none).
   */
  readSeq(conversationId: string): Promise<number>;

  /** Entries of the self conversation this device ignored, and updates it dropped, counted by cause. */
  rejected(): Promise<Partial<Record<AccountSyncRejection, number>>>;

  /** The self conversation's record, when this device is in it (else undefined). */
  selfConversation(): Promise<ConversationRecord | undefined>;

  /**
   * Resolves once every account-sync task started so far has settled (sending, projecting onto
   * the local stores); `VollyClient.close` waits for it. Never rejects.
   */
  idle(): Promise<void>;
}
