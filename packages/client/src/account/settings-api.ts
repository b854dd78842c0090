import type { NotificationRules } from "../notifications/notification-settings.js";
import type { Listeners } from "../shared/listeners.js";

/** The user's preferences, kept sealed in the local store and synced to the account's devices. */
export interface UserSettings {
  /** Send read receipts (delivery receipts are always sent). Default true. */
  readReceipts: boolean;
  /** The UI's colour theme, one of `THEMES`. Default "system". */
  theme: "system" | "light" | "dark" | "high-contrast";
  /** Font scale, `FONT_SCALE.min`–`FONT_SCALE.max` (0.8–1.6; 1 = default). */
  fontScale: number;
  /** Show notifications at all (each device also needs the browser's or system's permission). Default true. */
  notifications: boolean;
  /** Show a message's text in its notification (else "New message"). Default false. */
  notificationPreviews: boolean;
  /** Play a short sound for a message that notifies. Default true. */
  notificationSound: boolean;
  /**
   * Per-conversation and per-community levels and mutes (see `NotificationRules`; change them with
   * `client.notifications`). Default `{}`: every conversation notifies every message.
   */
  notificationRules: NotificationRules;
  /**
   * Attach a link preview to messages this device sends: it fetches the first http(s) link of the
   * text (which tells that site this device's IP address and that the link is being shared) and
   * sends the page's title, description and site name with the message. Receivers never fetch.
   * Default false.
   */
  linkPreviews: boolean;
}

/**
 * `client.settings`: reads and updates {@link UserSettings}. Every update made here also goes to
 * this account's other devices (account sync); theirs arrive as `changes`.
 */
export interface Settings {
  /** Fires with the whole settings after each change (made here or synced from another device). */
  readonly changes: Listeners<UserSettings>;

  /** The current settings (`DEFAULT_SETTINGS` where unset). */
  get(): Promise<UserSettings>;

  /**
   * Validates and applies a partial update (keys whose value is undefined are ignored), stores it
   * and fires {@link Settings.changes}.
   *
   * @returns the whole settings afterwards
   * @throws VollyError VOLLY_E_USAGE (nothing is changed; `details.setting` names the key) for an
   *   unknown key, a `theme` not in `THEMES`, a `fontScale` outside 0.8–1.6 or not a finite
   *   number, a `readReceipts`, `notifications`, `notificationPreviews`, `notificationSound` or
   *   `linkPreviews` that is not a boolean, or `notificationRules` of another shape (see
   *   `NotificationRules`)
   */
  update(patch: Partial<UserSettings>): Promise<UserSettings>;
}
