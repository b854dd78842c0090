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

/** Counts of messages this device could not decrypt, by cause (target: all zero). */
export type UndecryptableCounts = Record<string, number>;
