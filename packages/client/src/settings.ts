import { VollyError } from "@volly/protocol";
import { Listeners } from "./listeners.js";
import type { Vault } from "./vault.js";

/** The user's preferences, kept sealed in the vault. */
export interface UserSettings {
  /** Send read receipts (delivery receipts are always sent). */
  readReceipts: boolean;
  theme: "system" | "light" | "dark" | "high-contrast";
  /** Font scale, 0.8–1.6 (1 = default). */
  fontScale: number;
}

/** Defaults for a new profile. */
export const DEFAULT_SETTINGS: UserSettings = { readReceipts: true, theme: "system", fontScale: 1 };

/** The themes a UI offers. */
export const THEMES: readonly UserSettings["theme"][] = ["system", "light", "dark", "high-contrast"];
/** Bounds of `fontScale`. */
export const FONT_SCALE = { min: 0.8, max: 1.6 } as const;

/** Reads and updates {@link UserSettings}. */
export class Settings {
  /** Fires with the new settings after each update. */
  readonly changes = new Listeners<UserSettings>();

  constructor(private readonly vault: Vault) {}

  /** The current settings (defaults where unset). */
  async get(): Promise<UserSettings> {
    return { ...DEFAULT_SETTINGS, ...((await this.vault.getJson<Partial<UserSettings>>("settings")) ?? {}) };
  }

  /**
   * Applies a partial update, persists it and returns the result. Throws VOLLY_E_USAGE (nothing is
   * changed) for an unknown key, a `theme` not in {@link THEMES}, a `fontScale` outside 0.8–1.6 or
   * not a finite number, or a `readReceipts` that is not a boolean.
   */
  async update(patch: Partial<UserSettings>): Promise<UserSettings> {
    const usage = (message: string, key: string) =>
      new VollyError("VOLLY_E_USAGE", message, { setting: key });
    if (typeof patch !== "object" || patch === null) throw usage("Settings must be an object.", "");
    for (const [key, value] of Object.entries(patch)) {
      if (value === undefined) continue;
      switch (key) {
        case "readReceipts":
          if (typeof value !== "boolean") throw usage("readReceipts is true or false.", key);
          break;
        case "theme":
          if (!THEMES.includes(value as UserSettings["theme"])) {
            throw usage(`theme is one of ${THEMES.join(", ")}.`, key);
          }
          break;
        case "fontScale":
          if (
            typeof value !== "number" ||
            !Number.isFinite(value) ||
            value < FONT_SCALE.min ||
            value > FONT_SCALE.max
          ) {
            throw usage(`fontScale is a number from ${FONT_SCALE.min} to ${FONT_SCALE.max}.`, key);
          }
          break;
        default:
          throw usage(`Unknown setting "${key}".`, key);
      }
    }
    const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    const next: UserSettings = { ...(await this.get()), ...defined };
    await this.vault.batch().putJson("settings", next).commit();
    this.changes.emit(next);
    return next;
  }
}
