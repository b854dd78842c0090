import type { Listeners } from "./listeners.js";

/**
 * A failure of background work (nobody awaited it): what failed, the error's code and message.
 * Never content.
 */
export interface BackgroundFailure {
  /** What failed, e.g. "outbox.flush", "receipts.flush", "key-packages.top-up", "account-sync.reconcile". */
  label: string;
  /** The error's code: a VOLLY_E_* code, or the name of another error. */
  code: string;
  /** The error's message. */
  message: string;
  /** When it was reported (ms since the Unix epoch). */
  at: number;
}

/**
 * `client.diagnostics`: every failure of the client's background work (sending the outbox after
 * the call returned, receipts, key package top-ups, account sync, departure commits, settling
 * commits after a reconnect…) is reported here with a label instead of being swallowed. Most are
 * retried later by their owner; this is where a persistent one becomes visible. In memory only.
 */
export interface Diagnostics {
  /** Fires for each background failure. */
  readonly failures: Listeners<BackgroundFailure>;

  /**
   * Background failures since the client was opened, counted by label, in label order (labels that
   * never failed are absent).
   */
  counts(): Record<string, number>;
}
