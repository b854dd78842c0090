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
 * `client.verification`: safety numbers (like Signal's), a fingerprint of both accounts' identity
 * keys, to detect a server that lies about keys.
 */
export interface Verification {
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
}
