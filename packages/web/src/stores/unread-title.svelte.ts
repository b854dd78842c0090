import { conversationMuted } from "../lib/notification-rules.js";
import { setFaviconBadge, tabTitle } from "../lib/unread-badge.js";
import { conversations } from "./conversations.svelte.js";
import { presence } from "./presence.svelte.js";
import { settings } from "./settings.svelte.js";

/** Unread messages in every conversation that is not muted (a muted one's stay in its own badge). */
export function totalUnread(now: number): number {
  let total = 0;
  for (const s of conversations.summaries) {
    if (s.unread > 0 && !conversationMuted(settings.value, s.conversation, now)) total += s.unread;
  }
  return total;
}

/**
 * Keeps the tab's title ("(N) Volly") and favicon badge in line with the unread count, live;
 * returns the function that stops it (and restores "Volly" and the plain icon).
 */
export function trackUnreadTitle(): () => void {
  let shown = 0;
  const stop = $effect.root(() => {
    $effect(() => {
      const unread = totalUnread(presence.now);
      // the list refreshes often: redraw (and, back at 0, load the plain icon) only on a change
      if (unread === shown) return;
      shown = unread;
      document.title = tabTitle(unread);
      void setFaviconBadge(unread);
    });
  });
  return () => {
    stop();
    if (shown === 0) return;
    document.title = tabTitle(0);
    void setFaviconBadge(0);
  };
}
