import { sdk } from "../lib/sdk.js";
import type { UserSettings } from "../worker/rpc-types.js";

const APPEARANCE_KEY = "volly.appearance";

export type Theme = UserSettings["theme"];

const DEFAULTS: UserSettings = {
  readReceipts: true,
  theme: "system",
  fontScale: 1,
  notifications: true,
  notificationPreviews: false,
  notificationSound: true,
  notificationRules: {},
  linkPreviews: false,
};

/** Applies theme and font scale to the document root (CSS variables do the rest). */
function apply(theme: Theme, fontScale: number): void {
  const root = document.documentElement;
  root.dataset.theme = theme;
  root.style.setProperty("--font-scale", String(fontScale));
}

/** The user's settings (kept sealed by the SDK); appearance is mirrored locally for the lock screen. */
class SettingsStore {
  value = $state<UserSettings>({ ...DEFAULTS });
  error = $state<string | undefined>();

  /** Applies the last appearance used on this browser (before the profile is unlocked). */
  restoreAppearance(): void {
    try {
      const saved = JSON.parse(
        localStorage.getItem(APPEARANCE_KEY) ?? "null",
      ) as Partial<UserSettings> | null;
      if (saved?.theme) this.value.theme = saved.theme;
      if (typeof saved?.fontScale === "number") this.value.fontScale = saved.fontScale;
    } catch {
      // ignore a corrupt local copy
    }
    apply(this.value.theme, this.value.fontScale);
  }

  /** Loads the settings from the SDK. */
  async load(): Promise<void> {
    try {
      this.set(await sdk.settings.get());
    } catch {
      // keep the local appearance; settings can still be changed
    }
  }

  /** Changes settings (applied at once, then saved by the SDK). */
  async update(patch: Partial<UserSettings>): Promise<void> {
    const previous = { ...this.value };
    this.set({ ...this.value, ...patch });
    try {
      this.set(await sdk.settings.update(patch));
      this.error = undefined;
    } catch (err) {
      this.error = err instanceof Error ? err.message : "Settings could not be saved.";
      if (previous.readReceipts !== this.value.readReceipts) this.value.readReceipts = previous.readReceipts;
      if (previous.linkPreviews !== this.value.linkPreviews) this.value.linkPreviews = previous.linkPreviews;
    }
  }

  /** The SDK's settings changed (an update made here, or synced from another device). */
  onSynced(value: UserSettings): void {
    this.set(value);
  }

  private set(value: UserSettings): void {
    this.value = value;
    apply(value.theme, value.fontScale);
    localStorage.setItem(APPEARANCE_KEY, JSON.stringify({ theme: value.theme, fontScale: value.fontScale }));
  }
}

export const settings = new SettingsStore();
