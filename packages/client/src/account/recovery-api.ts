/** Whether the account has a recovery key (see {@link Recovery.status}). */
export interface RecoveryStatus {
  /** True once a recovery key was set up for the account (on any of its devices). */
  configured: boolean;
  /** When the account backup was last stored on the server (ms since the Unix epoch). */
  backupUpdatedAt?: number;
  /** Whether this device holds the backup's key, so it keeps the backup up to date. */
  keepsBackup: boolean;
}

/** What {@link Recovery.rejoin} did. */
export interface RejoinReport {
  /** Conversations rejoined by external commit (ids), the account's sync conversation included. */
  rejoined: string[];
  /** Conversations that could not be rejoined, with the error code (e.g. VOLLY_E_NOT_GROUP_MEMBER). */
  failed: { conversationId: string; code: string }[];
}

/**
 * `client.recovery`: the account's recovery key (DESIGN.md "recovery is by a linked device or a
 * recovery key"). Set up once per account (at creation, or later for an account that has none),
 * it restores the account when every device is lost (`recoverProfile`, then {@link Recovery.rejoin});
 * meanwhile the device that set it up keeps an encrypted backup of the account document (contacts,
 * conversation list, group names, settings) on the server, refreshed when it changes.
 */
export interface Recovery {
  /** Whether the account has a recovery key. @throws VollyError VOLLY_E_SERVER_UNREACHABLE */
  status(): Promise<RecoveryStatus>;
  /**
   * Generates a new recovery key, registers the public key derived from it with the server
   * (replacing any earlier one, whose backup is dropped), keeps the backup's key on this device and
   * stores the first backup.
   *
   * @returns the recovery key, written as 13 groups of 4 characters: show it once, the user stores
   *   it; it is not kept anywhere
   * @throws VollyError VOLLY_E_SERVER_UNREACHABLE
   */
  setUp(): Promise<string>;
  /**
   * Seals the account document under the backup's key and stores it on the server, unless it did
   * not change since the last upload. Runs on its own after changes; call it to be sure.
   *
   * @returns true when a backup was uploaded; false when unchanged or this device holds no key
   * @throws VollyError VOLLY_E_SERVER_UNREACHABLE, VOLLY_E_RECOVERY_FAILED (the key was replaced
   *   from another device)
   */
  backUp(): Promise<boolean>;
  /**
   * After `recoverProfile`: joins by external commit every conversation the restored account
   * document lists (and the account's own sync conversation), each with the notice that older
   * messages cannot come back (`RESTORE_NOTICE`). One failure does not stop the others.
   */
  rejoin(): Promise<RejoinReport>;
}
