import type { ConversationRecord } from "./conversation-records.js";

/** Both forms of one invite (see {@link Invites.create}). */
export interface InviteLinks {
  /** `volly://invite/<token>`: what `Invites.accept` and `volly accept` take. */
  link: string;
  /** `<server>/i/<token>`: the same invite as a web address, opened by the web app. */
  webUrl: string;
  /** When the invite stops being accepted (ms since the Unix epoch). */
  expiresAt: number;
}

/**
 * `client.invites`: invite links. An invite is signed by this device and names the server, this
 * account's handle and the fingerprint of this device's identity key, so whoever accepts it
 * detects a directory that lies about the inviter's keys.
 */
export interface Invites {
  /**
   * Creates a signed invite to a direct conversation with this account. Nothing is sent to the
   * server: share either form of the link.
   *
   * @param ttlMs how long the invite is valid (ms; default `DEFAULT_INVITE_TTL_MS`, 7 days)
   */
  create(ttlMs?: number): InviteLinks;

  /**
   * Accepts an invite: checks its signature and expiry, and that the directory's key for the
   * inviter matches the invite's fingerprint, then opens (or returns) the direct conversation with
   * the inviter. An invite from another server (its `server` is not this profile's server) names
   * the inviter there: it is looked up as `handle@server` (`inviterHandle`) through this client's
   * server, which asks that server (federation).
   *
   * @param link an invite in either form of {@link InviteLinks} (surrounding whitespace is ignored)
   * @returns the direct conversation with the inviter
   * @throws VollyError VOLLY_E_INVITE_INVALID (malformed, bad signature, a server URL that names no
   *   valid server), VOLLY_E_INVITE_EXPIRED, VOLLY_E_INVITE_KEY_MISMATCH, VOLLY_E_UNKNOWN_HANDLE,
   *   VOLLY_E_FEDERATION_UNREACHABLE, VOLLY_E_FEDERATION_BLOCKED (another server's invite),
   *   VOLLY_E_KEY_PACKAGE_FOREIGN, VOLLY_E_NO_KEY_PACKAGE, VOLLY_E_RATE_LIMITED,
   *   VOLLY_E_SERVER_UNREACHABLE
   */
  accept(link: string): Promise<ConversationRecord>;
}
