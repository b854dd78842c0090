/**
 * Volly's service worker (served at /sw.js, scope /): owns the app's notifications and their
 * clicks. The page shows a notification through `registration.showNotification` (tag = the
 * conversation id, so one per conversation, `renotify` so each new message alerts again) with
 * `data.conversationId`; a click closes it, focuses an open tab of the app (or opens one at
 * `/?conversation=<id>`) and posts it `{type: "volly-open-conversation", conversationId}`.
 * It caches nothing and never sees keys or plaintext beyond the notification it is handed.
 */

self.addEventListener("install", () => {
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const conversationId = event.notification.data?.conversationId;
  event.waitUntil(openConversation(typeof conversationId === "string" ? conversationId : undefined));
});

/** Focuses a window of the app (or opens one) and asks it to open the conversation. */
async function openConversation(conversationId) {
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const target = windows.find((w) => new URL(w.url).origin === self.location.origin);
  if (target) {
    try {
      await target.focus();
    } catch {
      // focusing may be refused; the message still opens the conversation
    }
    if (conversationId) target.postMessage({ type: "volly-open-conversation", conversationId });
    return;
  }
  const url = conversationId ? `/?conversation=${encodeURIComponent(conversationId)}` : "/";
  await self.clients.openWindow(url);
}
