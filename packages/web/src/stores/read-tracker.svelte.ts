import { sdk } from "../lib/sdk.js";
import { communities } from "./communities.svelte.js";
import { conversations } from "./conversations.svelte.js";
import { notifications } from "./notifications.svelte.js";

/** The conversation on screen: the open channel's in a community, else the open conversation. */
function shownId(): string | undefined {
  return communities.selectedId !== undefined ? communities.conversationId : conversations.selectedId;
}

/**
 * Marks the open conversation read while the user can see it: when it is opened, when a message
 * arrives in it, and when the tab becomes visible again. The SDK sends read receipts when the
 * user has them turned on.
 */
class ReadTracker {
  private timer: ReturnType<typeof setTimeout> | undefined;

  /** The open conversation changed or became visible. */
  onViewed(conversationId: string): void {
    this.schedule(conversationId);
  }

  /** A message arrived. */
  onIncoming(conversationId: string): void {
    if (shownId() === conversationId) this.schedule(conversationId);
  }

  private schedule(conversationId: string): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (document.visibilityState !== "visible") return;
      if (shownId() !== conversationId) return;
      conversations.clearUnread(conversationId);
      sdk.messaging.markRead(conversationId).catch(() => undefined);
      void notifications.clear(conversationId).catch(() => undefined);
    }, 250);
  }
}

export const readTracker = new ReadTracker();

if (typeof document !== "undefined") {
  document.addEventListener("visibilitychange", () => {
    const id = shownId();
    if (id && document.visibilityState === "visible") readTracker.onViewed(id);
  });
}
