import type { Listeners } from "../shared/listeners.js";

/** What a UI shows for a contact: "offline" also when nothing is known. */
export type PresenceState = "online" | "away" | "offline";

/** A contact's presence changed (see {@link Presence.changes}). */
export interface PresenceChange {
  /** The contact's handle, without `@`. */
  handle: string;
  /** Their presence now. */
  status: PresenceState;
}

/**
 * `client.presence`: the presence of the accounts this device shares conversations with, and this
 * device's own status, over the gateway. Ephemeral: nothing is stored. After each (re)connection
 * the server announces every contact that is not offline; contacts it does not announce within
 * `PRESENCE_SNAPSHOT_GRACE_MS` of the backlog being done are shown offline.
 */
export interface Presence {
  /** Fires when a contact's presence changes. */
  readonly changes: Listeners<PresenceChange>;
  /** The status this device last set ("online" until {@link Presence.setStatus} is called). */
  readonly ownStatus: "online" | "away";

  /**
   * Sets this device's status (e.g. "away" while the app is hidden). Sent at once when connected
   * and remembered: after a reconnection "away" is sent again (the server assumes "online" for a
   * new connection).
   *
   * @throws VollyError VOLLY_E_USAGE for a status other than "online" or "away"
   */
  setStatus(status: "online" | "away"): void;

  /** The last known presence of the account `handle` ("offline" when unknown). */
  statusOf(handle: string): PresenceState;
}
