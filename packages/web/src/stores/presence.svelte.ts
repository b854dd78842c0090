import { sdk } from "../lib/sdk.js";
import type { AccountStatus, OwnStatus, PresenceChange, PresenceState } from "../worker/rpc-types.js";
import { connection } from "./connection.svelte.js";

/**
 * Presence as the UI shows it: the gateway's state, or "unknown" while this device is not
 * connected (what it last heard may no longer be true).
 */
export type PresenceView = PresenceState | "unknown";

/** A custom status text is shown until its `until` (ms); the store re-checks at this interval. */
const EXPIRY_TICK_MS = 15_000;

/** Presence of contacts, the account's own status, and who is typing where (from the gateway). */
class PresenceStore {
  byHandle = $state<Record<string, PresenceChange>>({});
  typing = $state<Record<string, string[]>>({});
  /** The account's chosen status (all its devices), as last heard from the server. */
  mine = $state<OwnStatus>({ status: "online" });
  /** The clock custom texts are compared with; ticks so an expired text disappears. */
  now = $state(Date.now());

  constructor() {
    if (typeof setInterval === "function") setInterval(() => (this.now = Date.now()), EXPIRY_TICK_MS);
  }

  /**
   * What to show for `handle`: its last known state while connected ("offline" when never heard
   * of), "unknown" while this device is connecting, reconnecting or offline.
   */
  of(handle: string | undefined): PresenceView {
    if (connection.label !== "connected") return "unknown";
    return (handle && this.byHandle[handle]?.status) || "offline";
  }

  /** The custom status text of `handle` while current and the account is not offline. */
  textOf(handle: string | undefined): string | undefined {
    const entry = handle ? this.byHandle[handle] : undefined;
    if (!entry?.text || entry.status === "offline" || connection.label !== "connected") return undefined;
    if (entry.until !== undefined && entry.until <= this.now) return undefined;
    return entry.text;
  }

  /**
   * This account's own presence: its chosen status while connected (online shown as chosen: the
   * UI is in use), "offline" when this device is not connected.
   */
  get own(): PresenceView {
    return connection.label === "connected" ? this.mine.status : "offline";
  }

  /** The account's own custom text while current. */
  get ownText(): string | undefined {
    const { text, until } = this.mine;
    return text && (until === undefined || until > this.now) ? text : undefined;
  }

  typingIn(conversationId: string): string[] {
    return this.typing[conversationId] ?? [];
  }

  /** Fetches the current presence of these handles. */
  async refresh(handles: string[]): Promise<void> {
    if (handles.length === 0) return;
    try {
      const states = await Promise.all(
        handles.map(async (h) => [h, await sdk.presence.detailsOf(h)] as const),
      );
      this.byHandle = { ...this.byHandle, ...Object.fromEntries(states) };
    } catch {
      // presence is best effort
    }
  }

  /** Reads the account's status from the server. */
  async refreshOwn(): Promise<void> {
    try {
      this.setOwn(await sdk.presence.refreshStatus());
    } catch {
      // best effort: the next own-status event brings it
    }
  }

  /**
   * Sets the account's status for all its devices.
   *
   * @throws the SDK's error (VOLLY_E_USAGE for a bad text, VOLLY_E_SERVER_UNREACHABLE offline)
   */
  async setStatus(status: AccountStatus, options: { text?: string; until?: number }): Promise<void> {
    this.setOwn(await sdk.presence.setStatus(status, options));
  }

  set(change: PresenceChange): void {
    this.byHandle[change.handle] = change;
  }

  setOwn(status: OwnStatus): void {
    this.mine = status;
    this.now = Date.now();
  }

  setTyping(conversationId: string, handles: string[]): void {
    this.typing[conversationId] = handles;
  }
}

export const presence = new PresenceStore();

/** Reports this device as idle while the tab is hidden. */
export function trackVisibility(): () => void {
  const report = () => {
    sdk.presence
      .setActivity(document.visibilityState === "visible" ? "online" : "idle")
      .catch(() => undefined);
  };
  document.addEventListener("visibilitychange", report);
  report();
  return () => document.removeEventListener("visibilitychange", report);
}
