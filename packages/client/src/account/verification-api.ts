import type { Listeners } from "../shared/listeners.js";

/** A safety number for one contact (see {@link Verification.safetyNumber}). */
export interface SafetyNumber {
  /** The contact's handle, without `@`. */
  handle: string;
  /** 60 digits in 12 groups of 5 ("12345 67890 …"): identical on both sides when no one lies about keys. */
  digits: string;
  /** Text to encode in a QR code; scanning the other side's code compares both accounts' keys. */
  qrPayload: string;
  /** Where the keys came from: this device's MLS group with the contact, or the server's directory. */
  source: "group" | "directory";
}

/**
 * Whether the user verified a contact: "unverified" (never, or the mark was cleared), "verified"
 * (marked, and the contact's keys are the ones it had then), "changed" (marked, but the contact's
 * keys changed since: a new or reinstalled device — or a server substituting a key; the contact
 * counts as unverified until verified again).
 */
export interface VerificationState {
  /** The contact's handle, without `@`. */
  handle: string;
  state: "verified" | "unverified" | "changed";
  /** When the mark was set (ms since the Unix epoch); absent when unverified. */
  verifiedAt?: number;
}

/** What {@link Verification.compareScanned} found. */
export interface ScanResult {
  /** True when the scanned code is this pair's safety number (the contact is then marked verified). */
  match: boolean;
  /** The contact's state afterwards. */
  state: VerificationState;
}

/**
 * `client.verification`: safety numbers (like Signal's), a fingerprint of both accounts' identity
 * keys, to detect a server that lies about keys; and which contacts the user verified, kept in the
 * account document so every device of the account knows.
 */
export interface Verification {
  /** Fires after this device marked or unmarked a contact. */
  readonly changes: Listeners<VerificationState>;
  /**
   * The safety number with the account of `handle`: both accounts' device signature keys as the
   * leaves of a group this device shares with them carry them (RFC 9420 §5.3 credentials; the
   * direct conversation first), or — when there is no shared group — as the directory lists them.
   * A directory that lies about a key therefore shows as a different number on the two sides.
   *
   * @param handle the contact's handle, with or without `@`
   * @throws VollyError VOLLY_E_HANDLE_INVALID, VOLLY_E_UNKNOWN_HANDLE, VOLLY_E_SERVER_UNREACHABLE
   */
  safetyNumber(handle: string): Promise<SafetyNumber>;
  /**
   * The contact's {@link VerificationState}: its keys now (as {@link Verification.safetyNumber}
   * reads them) against those remembered when it was marked verified.
   * @throws as {@link Verification.safetyNumber}
   */
  state(handle: string): Promise<VerificationState>;
  /**
   * Marks the contact verified with its current keys (after the user compared the safety numbers),
   * on every device of the account. @throws as {@link Verification.safetyNumber}
   */
  markVerified(handle: string): Promise<VerificationState>;
  /** Clears the contact's verified mark. @throws as {@link Verification.safetyNumber} */
  unmarkVerified(handle: string): Promise<VerificationState>;
  /**
   * Compares a scanned QR code (the other person's `qrPayload`) with this pair's safety number: a
   * match marks the contact verified; a mismatch changes nothing and says so.
   * @throws as {@link Verification.safetyNumber}
   */
  compareScanned(handle: string, scanned: string): Promise<ScanResult>;
}
