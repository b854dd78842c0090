/** The body of a text message (TextContent's text: 1 to LIMITS.maxTextChars characters). */
export interface TextBody {
  type: "text";
  text: string;
}

/**
 * What a message shows, by kind. Each kind is produced by a stored content handler
 * (`messaging/content/`); attachments, call events and membership events join this union as
 * their handlers are added. Narrow on `type` (or read text with {@link messageText}).
 */
export type MessageBody = TextBody;

/**
 * A message as the user sees it. Stored sealed in the messages table (store schema version 1: a
 * `body` union; version 0 records had a `text` field instead, converted by the `message-body`
 * store migration).
 */
export interface MessageRecord {
  id: string;
  conversationId: string;
  /** Sender's handle. */
  from: string;
  fromDeviceId: string;
  direction: "in" | "out";
  /** What the message carries. */
  body: MessageBody;
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

/** Counts of messages this device could not decrypt, by cause (target: all zero). */
export type UndecryptableCounts = Record<string, number>;

/**
 * The text of a message when its body is text, else undefined (a future attachment or call event
 * has none). What `volly receive --json` prints as `text`.
 */
export function messageText(message: Pick<MessageRecord, "body">): string | undefined {
  return message.body.type === "text" ? message.body.text : undefined;
}
