import { VollyError } from "@volly/protocol";
import { notificationRulesProblem } from "../notifications/notification-settings.js";
import { ListenerSet } from "../shared/listeners.js";
import type { Stores } from "../storage/stores.js";
import type { Settings, UserSettings } from "./settings-api.js";

/** Defaults for a new profile. */
export const DEFAULT_SETTINGS: UserSettings = {
  readReceipts: true,
  theme: "system",
  fontScale: 1,
  notifications: true,
  notificationPreviews: false,
  notificationSound: true,
  notificationRules: {},
  linkPreviews: false,
};

/** The themes a UI offers. */
export const THEMES: readonly UserSettings["theme"][] = ["system", "light", "dark", "high-contrast"];
/** Bounds of `fontScale`. */
export const FONT_SCALE = { min: 0.8, max: 1.6 } as const;

/**
 * The SDK's {@link Settings} (see there for each public member), and `applySynced` and
 * `localUpdates`, through which account sync exchanges settings with the account's other devices.
 */
export class SettingsService implements Settings {
  readonly changes = new ListenerSet<UserSettings>();
  /** Fires with the changed keys of each update made on this device (what account sync sends). */
  readonly localUpdates = new ListenerSet<Partial<UserSettings>>();

  constructor(private readonly stores: Stores) {}

  async get(): Promise<UserSettings> {
    return { ...DEFAULT_SETTINGS, ...((await this.stores.settings.get()) ?? {}) };
  }

  async update(patch: Partial<UserSettings>): Promise<UserSettings> {
    if (typeof patch !== "object" || patch === null) {
      throw new VollyError("VOLLY_E_USAGE", "Settings must be an object.", { setting: "" });
    }
    for (const [key, value] of Object.entries(patch)) {
      if (value === undefined) continue;
      const problem = settingProblem(key, value);
      if (problem) throw new VollyError("VOLLY_E_USAGE", problem, { setting: key });
    }
    const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    const next = await this.persist(defined);
    this.localUpdates.emit(defined as Partial<UserSettings>);
    return next;
  }

  /**
   * Applies settings another device of this account changed (account sync): keys or values that
   * are not valid settings are skipped, unchanged ones are not written. Emits `changes` when
   * something changed, never `localUpdates`. Returns the settings afterwards.
   *
   * @param values untrusted key/values from the synced document
   */
  async applySynced(values: Record<string, unknown>): Promise<UserSettings> {
    const current = await this.get();
    const patch = Object.fromEntries(
      Object.entries(values).filter(
        ([key, value]) =>
          settingProblem(key, value) === undefined &&
          JSON.stringify(current[key as keyof UserSettings]) !== JSON.stringify(value),
      ),
    );
    return Object.keys(patch).length === 0 ? current : this.persist(patch);
  }

  private async persist(patch: Record<string, unknown>): Promise<UserSettings> {
    const next: UserSettings = { ...(await this.get()), ...patch };
    await this.stores.settings.put(this.stores.batch(), next).commit();
    this.changes.emit(next);
    return next;
  }
}

/** Why `value` is not a valid value of setting `key`, or undefined when it is. */
function settingProblem(key: string, value: unknown): string | undefined {
  switch (key) {
    case "readReceipts":
    case "notifications":
    case "notificationPreviews":
    case "notificationSound":
    case "linkPreviews":
      return typeof value === "boolean" ? undefined : `${key} is true or false.`;
    case "notificationRules":
      return notificationRulesProblem(value);
    case "theme":
      return THEMES.includes(value as UserSettings["theme"])
        ? undefined
        : `theme is one of ${THEMES.join(", ")}.`;
    case "fontScale":
      return typeof value === "number" &&
        Number.isFinite(value) &&
        value >= FONT_SCALE.min &&
        value <= FONT_SCALE.max
        ? undefined
        : `fontScale is a number from ${FONT_SCALE.min} to ${FONT_SCALE.max}.`;
    default:
      return `Unknown setting "${key}".`;
  }
}
