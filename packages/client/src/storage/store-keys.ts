/**
 * Every key of a profile's local store, in one place. Records are reached through the typed record
 * stores (`stores.ts`), never by writing a key string elsewhere. A module without imports, so light
 * entry points (`@volly/client/browser`) can read the unsealed keys without loading crypto code.
 */

/** Unsealed: the PIN-wrapped data key (a SealedKeystore, JSON); its presence means "a profile exists". */
export const KEYSTORE_KEY = "keystore";
/** Unsealed: the data key wrapped under an API key (an ApiKeyKeystore of @volly/crypto, JSON). */
export const API_KEYSTORE_KEY = "keystore-api-key";
/** Unsealed: consecutive wrong PINs and the time of the last one (JSON), for the PIN back-off. */
export const PIN_ATTEMPTS_KEY = "pin-attempts";

/**
 * A number as a key part whose string order is numeric order (zero-padded to 15 digits): for
 * records listed in time or sequence order.
 */
export function orderedKey(n: number): string {
  return String(n).padStart(15, "0");
}

/** Key prefixes of sealed records kept one per id (the id follows the prefix). */
export const RECORD_PREFIXES = {
  /** ConversationRecord by conversation id. */
  conversation: "conv:",
  /** Conversation id of the direct conversation with a handle, by handle. */
  directByHandle: "direct:",
  /** A conversation's MLS group state in the older single record (base64url of encodeGroup), by conversation id; still read. */
  groupState: "group:",
  /**
   * A conversation's MLS group state in records (`groupStateRecords` of @volly/crypto, binary):
   * `<conversation id>/h` the head, `/e/<epoch>` an epoch's record, `/c/<epoch>/<chunk>` its
   * secret tree chunks.
   */
  groupRecords: "mls:",
  /** A commit sent whose outcome is not known yet, by conversation id. */
  pendingCommit: "pcommit:",
  /** Departed devices whose Remove is still to commit, by conversation id. */
  departures: "dep:",
  /** A key package's private half, by key package ref. */
  keyPackage: "kp:",
  /** An encrypted message waiting for the server, by `<zero-padded sequence>:<message id>`. */
  outbox: "outbox:",
  /** An incoming message not yet shown, by `<zero-padded receivedAt>:<message id>`. */
  unseen: "unseen:",
  /** What the directory said about a device, by device id. */
  device: "dev:",
  /** What of this account's profile was last sent to a conversation and to whom, by conversation id. */
  profileSent: "psent:",
  /** receivedAt (ms) of the newest incoming message a read receipt covered, by conversation id. */
  readReceiptMark: "rr:",
  /** receivedAt (ms) up to which a channel thread was read on this device, by its root message id. */
  threadReadMark: "threadread:",
  /** Actions (reactions, edits, deletes, pins) waiting for the message they target, by target message id. */
  pendingActions: "fx:",
  /** An action on a message not yet shown, by `<zero-padded receivedAt>:<action id>`. */
  unseenActions: "unseenact:",
  /**
   * The search snapshot's journal: a message written since the snapshot (`RECORD_KEYS.searchIndex`)
   * was saved, by message id (re-read when the snapshot is loaded).
   */
  searchJournal: "search:j:",
  /** A scheduled message or recurring schedule this device knows the text of, by schedule id. */
  scheduled: "sched:",
  /**
   * What a conversation's list entry takes from its messages (`TimelineSummary` of
   * `conversations/timeline-summaries.ts`: last message, unread counts at a read position), by
   * conversation id. A cache: deleted with every message write to the conversation.
   */
  timelineSummary: "tlsum:",
  /** An outgoing message with files still to upload or encrypt (`attachments/`), by message id. */
  attachmentJob: "attjob:",
  /**
   * A message decrypted from a direct path (`p2p/`) whose server log entry has not come yet, by
   * message id (value: its conversation id): the log's copy is then dropped, not decrypted again.
   */
  directReceived: "p2p:rx:",
  /**
   * The bytes of an outgoing file given as a Uint8Array, kept until it is uploaded, by
   * `<message id>/<two-digit file index>`.
   */
  attachmentSource: "attsrc:",
} as const;

/** Keys of sealed records kept once per profile. */
export const RECORD_KEYS = {
  profile: "profile",
  settings: "settings",
  /** Counts of undecryptable messages by cause. */
  undecryptable: "undecryptable",
  /** How many times this device rejoined a group by external commit. */
  recoveries: "recoveries",
  /** The direct paths the running client of this profile has open (`p2p/`), for `volly status`. */
  directPeers: "p2p:peers",
  /** The account-sync Yjs document (full state). */
  accountDoc: "acct:doc",
  /** Account-sync changes not sent yet (one merged Yjs update). */
  accountUnsent: "acct:unsent",
  /** The account backup's key (derived from the recovery key) and what was last uploaded. */
  accountBackup: "acct:backup",
  /** Counts of account-sync entries ignored, by cause. */
  accountRejected: "acct:rejected",
  /** Per conversation, the `lastReadAt` whose read mark account sync's reconcile already noted. */
  accountReadsNoted: "acct:reads-noted",
  /** The version of the store's record formats (see `migrations/`); absent before version 1. */
  schemaVersion: "schema-version",
  /** The search index's snapshot (`search/search-snapshot.ts`), saved when the client closes. */
  searchIndex: "search:index",
} as const;

/** The associated data a message row is sealed under (binds the sealed bytes to the message id). */
export function messageSealKey(messageId: string): string {
  return `msg:${messageId}`;
}
