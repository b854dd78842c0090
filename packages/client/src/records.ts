import type { EntityType } from "@volly/protocol";

/** The profile: who this device is and where its server is. Stored sealed under key `profile`. */
export interface ProfileRecord {
  /** The server's origin; with several URLs, the preferred one (the first of `serverUrls`). */
  serverUrl: string;
  /**
   * Every server origin of this profile's deployment (nodes to fail over between, see `HttpApi` and
   * `GatewayConnection`), the preferred one first; `serverUrls[0]` is `serverUrl`. Absent when the
   * profile has one URL. Read it through `profileServerUrls`.
   */
  serverUrls?: string[];
  accountId: string;
  deviceId: string;
  handle: string;
  entityType: EntityType;
  displayName?: string;
  ciphersuite: string;
  /** base64url Ed25519 key pair. */
  signaturePublicKey: string;
  signaturePrivateKey: string;
  createdAt: number;
}

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

/** A message as the user sees it. Stored sealed in the messages table. */
export interface MessageRecord {
  id: string;
  conversationId: string;
  /** Sender's handle. */
  from: string;
  fromDeviceId: string;
  direction: "in" | "out";
  text: string;
  /** Sender's clock, ms. */
  sentAt: number;
  /** This device's clock when stored, ms. */
  receivedAt: number;
  /**
   * Outgoing: "pending" until the server acknowledged it durably, "sent", then "delivered" and
   * "read" as receipts arrive from the other members. Incoming: "received".
   */
  status: "pending" | "sent" | "delivered" | "read" | "received";
  seq?: number;
  /**
   * Outgoing: the other member accounts when it was sent (account ids). The status becomes
   * "delivered" / "read" once every one of them still in the conversation has reported it.
   */
  recipients?: string[];
  /** Outgoing: accounts whose devices reported the message delivered (a read counts too). */
  deliveredTo?: string[];
  /** Outgoing: accounts that reported the message read. */
  readBy?: string[];
}

/** An encrypted message waiting to be accepted by the server. Stored sealed under `outbox:<n>`. */
export interface OutboxRecord {
  messageId: string;
  conversationId: string;
  epoch: number;
  ciphertext: string;
  queuedAt: number;
}

/** A key package's private half, kept until a Welcome uses it. Stored sealed under `kp:<ref>`. */
export interface KeyPackageRecord {
  ref: string;
  keyPackage: string;
  privateKeyPackage: string;
  lastResort: boolean;
}

/** Counts of messages this device could not decrypt, by cause (target: all zero). */
export type UndecryptableCounts = Record<string, number>;
