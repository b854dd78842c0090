/** What {@link AccountProfile.setDisplayName} did. */
export interface DisplayNameChange {
  /** The display name as stored (trimmed). */
  displayName: string;
  /** How many conversations the new name was sent to (encrypted). */
  conversations: number;
}

/**
 * `client.account`: this account's profile as others see it. Today the display name (the avatar
 * is drawn from it until attachments exist).
 */
export interface AccountProfile {
  /**
   * Sets this account's display name: in the server's directory (what new contacts look up), in
   * this device's profile, and — as an encrypted `profile` message — in each direct and group
   * conversation this device is in, so members (and this account's other devices) show the new
   * name at once. Community members see the directory's name.
   *
   * @param displayName 1–64 characters once trimmed
   * @throws VollyError VOLLY_E_USAGE (blank or over 64 characters; nothing is changed),
   *   VOLLY_E_SERVER_UNREACHABLE (nothing is changed); a conversation the message cannot be queued
   *   for is reported to diagnostics ("profile.send")
   */
  setDisplayName(displayName: string): Promise<DisplayNameChange>;
}
