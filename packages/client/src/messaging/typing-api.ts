import type { Listeners } from "../shared/listeners.js";

/** Who is typing in one conversation (see {@link Typing.changes}). */
export interface TypingChange {
  /** The conversation whose typing indicator changed. */
  conversationId: string;
  /** Handles of the people typing now, in the order they started (empty: nobody). */
  handles: string[];
}

/**
 * `client.typing`: typing indicators, ephemeral (nothing is stored). This device sends throttled
 * typing notifications over the gateway (dropped while disconnected); another person's indicator
 * lasts `TYPING_TTL_MS` after their last notification and ends at once when their message arrives.
 * This account's own typing (on its other devices) is never shown.
 */
export interface Typing {
  /** Fires when the set of people typing in a conversation changes, including on expiry. */
  readonly changes: Listeners<TypingChange>;

  /**
   * Call on every keystroke in a conversation's composer: sends at most one typing notification per
   * `TYPING_THROTTLE_MS` (3 s) per conversation.
   */
  notifyTyping(conversationId: string): void;

  /** Call when the user sent their message: the next keystroke notifies again at once. */
  stoppedTyping(conversationId: string): void;

  /** Handles of the people typing in a conversation now, in the order they started. */
  typingIn(conversationId: string): string[];
}
