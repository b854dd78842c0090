import type { Listeners } from "../shared/listeners.js";

/**
 * What a UI shows for an account: "offline" also when nothing is known, and for an account that is
 * invisible (only the account itself sees "invisible").
 */
export type PresenceState = "online" | "idle" | "dnd" | "invisible" | "offline";

/** The status an account chooses for all of its devices (see {@link Presence.setStatus}). */
export type AccountStatus = "online" | "idle" | "dnd" | "invisible";

/** A contact's presence changed (see {@link Presence.changes}). */
export interface PresenceChange {
  /** The contact's handle, without `@`. */
  handle: string;
  /** Their presence now. */
  status: PresenceState;
  /** Their custom status text, when they set one and it has not expired. */
  text?: string;
  /** When that text expires (ms since the Unix epoch); absent: it does not. */
  until?: number;
}

/** The account's own chosen status (see {@link Presence.ownStatus}). */
export interface OwnStatus {
  status: AccountStatus;
  /** Custom status text, while current. */
  text?: string;
  /** When the custom text expires (ms since the Unix epoch). */
  until?: number;
}

/** Options of {@link Presence.setStatus}. */
export interface SetStatusOptions {
  /** Custom status text: 1–128 characters, no control characters. */
  text?: string;
  /** When the custom text expires: a Date or ms since the Unix epoch, in the future. Needs `text`. */
  until?: Date | number;
}

/**
 * `client.presence`: the presence of the accounts this device shares conversations with, this
 * device's activity, and the account's chosen status.
 *
 * Contacts' presence is ephemeral: after each (re)connection the server announces every contact
 * that is not offline; contacts it does not announce within `PRESENCE_SNAPSHOT_GRACE_MS` of the
 * backlog being done are shown offline.
 *
 * The account's status (online, idle, do not disturb, invisible, custom text with expiry) is held
 * by the server for all the account's devices: the latest one set on any device wins, it survives
 * reconnects and restarts, and every device of the account is told when it changes. Do not
 * disturb silences notifications (`client.notifications.decide`, `decideNotification`).
 */
export interface Presence {
  /** Fires when a contact's presence changes. */
  readonly changes: Listeners<PresenceChange>;
  /** Fires when the account's own status changes (set here or on another device, or its text expired). */
  readonly ownChanges: Listeners<OwnStatus>;
  /** This device's activity as last set ("online" until {@link Presence.setActivity} is called). */
  readonly activity: "online" | "idle";
  /**
   * The account's status as last known from the server ("online" until told otherwise); a custom
   * text past its expiry is left out.
   */
  readonly ownStatus: OwnStatus;
  /** True while the account's status is "dnd": notifications should stay silent. */
  readonly doNotDisturb: boolean;

  /**
   * Sets this device's activity (e.g. "idle" while the app is hidden). Sent at once when connected
   * and remembered: after a reconnection "idle" is sent again (the server assumes "online" for a
   * new connection). The account shows idle when all its connected devices are idle and its
   * chosen status is "online".
   *
   * @throws VollyError VOLLY_E_USAGE for an activity other than "online" or "idle"
   */
  setActivity(activity: "online" | "idle"): void;

  /**
   * Sets the account's status for all its devices (`PUT /v1/presence/status`), with an optional
   * custom text and expiry. Without `text` any custom text is cleared.
   *
   * @returns the status as the server stored it
   * @throws VollyError VOLLY_E_USAGE for an unknown status, a text over 128 characters or with
   *   control characters, an `until` without text or not in the future (nothing is sent); server
   *   errors as they come (VOLLY_E_SERVER_UNREACHABLE when offline)
   */
  setStatus(status: AccountStatus, options?: SetStatusOptions): Promise<OwnStatus>;

  /** Reads the account's status from the server (`GET /v1/presence/status`) and updates {@link Presence.ownStatus}. */
  refreshStatus(): Promise<OwnStatus>;

  /** The last known presence of the account `handle` ("offline" when unknown). */
  statusOf(handle: string): PresenceState;

  /** The last known presence of `handle` with its custom text while current. */
  detailsOf(handle: string): PresenceChange;
}
