import { sdk } from "../lib/sdk.js";
import type { PresenceState } from "../worker/rpc-types.js";
import { connection } from "./connection.svelte.js";

/**
 * Presence as the UI shows it: the gateway's state, or "unknown" while this device is not
 * connected (what it last heard may no longer be true).
 */
export type PresenceView = PresenceState | "unknown";

/** Presence of contacts and who is typing where (ephemeral, from the gateway). */
class PresenceStore {
  byHandle = $state<Record<string, PresenceState>>({});
  typing = $state<Record<string, string[]>>({});

  /**
   * What to show for `handle`: its last known state while connected ("offline" when never heard
   * of), "unknown" while this device is connecting, reconnecting or offline.
   */
  of(handle: string | undefined): PresenceView {
    if (connection.label !== "connected") return "unknown";
    return (handle && this.byHandle[handle]) || "offline";
  }

  /** This device's own presence as others see it: online while connected, else offline. */
  get own(): PresenceView {
    return connection.label === "connected" ? "online" : "offline";
  }

  typingIn(conversationId: string): string[] {
    return this.typing[conversationId] ?? [];
  }

  /** Fetches the current presence of these handles. */
  async refresh(handles: string[]): Promise<void> {
    if (handles.length === 0) return;
    try {
      const states = await Promise.all(
        handles.map(async (h) => [h, await sdk.presence.statusOf(h)] as const),
      );
      this.byHandle = { ...this.byHandle, ...Object.fromEntries(states) };
    } catch {
      // presence is best effort
    }
  }

  set(handle: string, status: PresenceState): void {
    this.byHandle[handle] = status;
  }

  setTyping(conversationId: string, handles: string[]): void {
    this.typing[conversationId] = handles;
  }
}

export const presence = new PresenceStore();

/** Reports this tab as away while hidden. */
export function trackVisibility(): () => void {
  const report = () => {
    sdk.presence.setStatus(document.visibilityState === "visible" ? "online" : "away").catch(() => undefined);
  };
  document.addEventListener("visibilitychange", report);
  report();
  return () => document.removeEventListener("visibilitychange", report);
}
