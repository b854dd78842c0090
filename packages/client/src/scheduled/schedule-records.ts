/** One occurrence of a schedule held on the server as ciphertext. */
export interface HeldOccurrence {
  /** The log message id it will have. */
  messageId: string;
  /** When the server releases it (ms since the Unix epoch). */
  releaseAt: number;
  /** The epoch it was last encrypted in by this device; absent when another device encrypted it. */
  epoch?: number;
  /** This device's own application messages in the conversation since it was encrypted. */
  sendsSince?: number;
}

/**
 * A scheduled message (one occurrence, `at`) or recurring schedule (`rule`) as a device keeps it,
 * sealed in its store: the text never leaves the account's devices except inside MLS ciphertext.
 */
export interface ScheduleRecord {
  /** The schedule's id: the message id of a one-off, the series id of a recurring one. */
  id: string;
  conversationId: string;
  text: string;
  replyTo?: string;
  /** One-off: when it goes out (ms). */
  at?: number;
  /** Recurring: the rule in canonical form (see `schedule-rule.ts`). */
  rule?: string;
  /** The IANA time zone the rule's wall-clock times are in. */
  timeZone: string;
  createdAt: number;
  /** The occurrences this device put on (or knows are on) the server, by release time. */
  held: HeldOccurrence[];
}
