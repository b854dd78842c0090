import { sdk } from "../lib/sdk.js";
import type { PresenceState } from "../worker/rpc-types.js";

/** Presence of contacts and who is typing where (ephemeral, from the gateway). */
class PresenceStore {
  byHandle = $state<Record<string, PresenceState>>({});
  typing = $state<Record<string, string[]>>({});

  of(handle: string | undefined): PresenceState {
    return (handle && this.byHandle[handle]) || "offline";
  }

  typingIn(conversationId: string): string[] {
    return this.typing[conversationId] ?? [];
  }

  /** Fetches the current presence of these handles. */
  async refresh(handles: string[]): Promise<void> {
    if (handles.length === 0) return;
    try {
      const states = await sdk.call("presenceOf", handles);
      this.byHandle = { ...this.byHandle, ...states };
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
    sdk
      .call("setPresence", document.visibilityState === "visible" ? "online" : "away")
      .catch(() => undefined);
  };
  document.addEventListener("visibilitychange", report);
  report();
  return () => document.removeEventListener("visibilitychange", report);
}
