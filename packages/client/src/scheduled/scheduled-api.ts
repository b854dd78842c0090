/** Options of {@link ScheduledMessages.schedule}: exactly one of `at` and `every`. */
export interface ScheduleOptions {
  /** A one-off: when it goes out (ms since the Unix epoch, a Date, or ISO-8601 text; local time without an offset). */
  at?: number | Date | string;
  /**
   * Recurring: a rule, `daily HH:MM` or `weekly mon HH:MM` (see `parseScheduleRule`), in
   * {@link ScheduleOptions.timeZone}.
   */
  every?: string;
  /** The message it replies to (a message id of the conversation). */
  replyTo?: string;
  /** The IANA time zone a rule's times are in. Default: this device's. */
  timeZone?: string;
}

/** A scheduled message or recurring schedule of this account, as {@link ScheduledMessages.list} shows it. */
export interface ScheduledEntry {
  /** The id to cancel it by: the message id of a one-off, the series id of a recurring one. */
  id: string;
  conversationId: string;
  /**
   * The text, when this device knows it: a recurring schedule of any device of the account (shared
   * through the account document), or a one-off this device scheduled; undefined for another
   * device's one-off.
   */
  text?: string;
  /** The recurrence rule in canonical form; undefined for a one-off. */
  rule?: string;
  timeZone?: string;
  /** When the next occurrence goes out (ms since the Unix epoch); undefined when none is held. */
  next?: number;
  /** How many occurrences the server holds encrypted. */
  held: number;
  /** The error code the server refused a release with (then that occurrence never goes out). */
  failure?: string;
  replyTo?: string;
}

/**
 * `client.scheduled`: messages sent later, once or on a recurring rule. Each occurrence is
 * encrypted on this device (MLS application message, its own message id) and held by the server
 * as ciphertext until its time, so it goes out even when every device of the account is off; the
 * server appends it to the conversation's log through the normal send path at that time. While
 * this device is online it re-encrypts what it holds when the group moves to a new epoch (and after
 * a few of its own messages), so receivers can decrypt it; a recurring schedule keeps the next
 * {@link SCHEDULE_HORIZON} occurrences on the server and tops them up whenever the client runs.
 * A recurring schedule's definition is shared with the account's other devices (the account
 * document): each of them lists it, can cancel it, and keeps topping it up and re-encrypting it.
 * See docs/architecture.md "Scheduled messages" for what an offline sender cannot cover.
 */
export interface ScheduledMessages {
  /**
   * Schedules `text` in a conversation.
   *
   * @throws VollyError VOLLY_E_USAGE (no or both of at/every, `at` malformed or not in the future,
   *   a rule that does not parse, an unknown time zone, text too long), VOLLY_E_UNKNOWN_CONVERSATION,
   *   VOLLY_E_NOT_GROUP_MEMBER, VOLLY_E_QUOTA_EXCEEDED (the account holds the most), and the
   *   transport's errors (VOLLY_E_SERVER_UNREACHABLE)
   */
  schedule(conversationId: string, text: string, options: ScheduleOptions): Promise<ScheduledEntry>;
  /** This account's scheduled messages and schedules, next first. */
  list(): Promise<ScheduledEntry[]>;
  /**
   * Cancels a scheduled message or a whole recurring schedule (every occurrence the server holds).
   *
   * @throws VollyError VOLLY_E_UNKNOWN_SCHEDULED (no such id, or a one-off already sent or being
   *   sent)
   */
  cancel(id: string): Promise<void>;
}

/** How many occurrences of a recurring schedule are kept encrypted on the server, and how far ahead (ms). */
export const SCHEDULE_HORIZON = { count: 7, aheadMs: 14 * 24 * 60 * 60 * 1000 } as const;
