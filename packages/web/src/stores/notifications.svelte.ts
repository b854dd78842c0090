import { playNotificationSound } from "../lib/notification-sound.js";
import { sdk } from "../lib/sdk.js";
import type { ConversationRecord, MessageRecord } from "../worker/rpc-types.js";
import { communities } from "./communities.svelte.js";
import { conversations, titleOf } from "./conversations.svelte.js";

/** The service worker's script (public/sw.js, served at the root so its scope is the whole app). */
const SERVICE_WORKER_URL = "/sw.js";
/** What the service worker posts when a notification is clicked. */
const OPEN_MESSAGE = "volly-open-conversation";
/** The body of a notification when previews are off. */
export const NO_PREVIEW_BODY = "New message";

/**
 * Says on the console's debug level what became of a message that arrived while the tab was hidden
 * ("shown", "silent (muted)", "failed: …"): a notification that did not show is otherwise invisible.
 */
function report(messageId: string, outcome: string): void {
  console.debug(`volly notification ${messageId}: ${outcome}`);
}

/** The browser's notification permission, or "unsupported". */
export type PermissionView = NotificationPermission | "unsupported";

function supported(): boolean {
  return (
    typeof Notification !== "undefined" && typeof navigator !== "undefined" && "serviceWorker" in navigator
  );
}

/**
 * Browser notifications: the service worker (registered at start), the permission (asked from a
 * user action in the settings), and one notification per conversation for a message that arrives
 * while the tab is hidden and that the SDK says notifies (levels, mutes, do not disturb).
 */
class NotificationStore {
  permission = $state<PermissionView>(supported() ? Notification.permission : "unsupported");
  private registration: Promise<ServiceWorkerRegistration | undefined> | undefined;
  /** Incoming messages are handled one after the other, in the order they arrived. */
  private queue: Promise<void> = Promise.resolve();

  /** Registers the service worker and listens for its clicks (call once at start). */
  start(): void {
    if (!supported() || this.registration) return;
    this.registration = navigator.serviceWorker
      .register(SERVICE_WORKER_URL, { scope: "/" })
      .then(() => navigator.serviceWorker.ready)
      .catch(() => undefined);
    navigator.serviceWorker.addEventListener("message", (event: MessageEvent) => {
      const data = event.data as { type?: unknown; conversationId?: unknown } | null;
      if (data?.type === OPEN_MESSAGE && typeof data.conversationId === "string") {
        void this.open(data.conversationId);
      }
    });
  }

  /** Asks the browser for permission (call from a click). */
  async requestPermission(): Promise<void> {
    if (!supported()) return;
    this.permission = await Notification.requestPermission();
  }

  /**
   * A message arrived: when the tab is hidden and the SDK decides it notifies, shows (or replaces)
   * its conversation's notification and plays the sound when that is on.
   *
   * Handled in arrival order (one at a time); never rejects. Mentions of this account are the
   * SDK's `mentionsMe` (checked against the community's roles on receipt).
   */
  onIncoming(message: MessageRecord): Promise<void> {
    if (message.direction !== "in" || document.visibilityState === "visible") return this.queue;
    this.queue = this.queue
      .then(() => this.notify(message))
      .then(
        (outcome) => report(message.id, outcome),
        (error: unknown) => report(message.id, `failed: ${String(error)}`),
      );
    return this.queue;
  }

  /** Shows the message's notification when it notifies; returns what happened, for {@link report}. */
  private async notify(message: MessageRecord): Promise<string> {
    const decision = await sdk.notifications.decide(message, message.mentionsMe === true);
    if (!decision.notify) return `silent (${decision.reason})`;
    if (decision.sound) playNotificationSound();
    if (!supported()) return "not supported";
    if (Notification.permission !== "granted") return `permission ${Notification.permission}`;
    const registration = await this.registration;
    if (!registration) return "no service worker";
    const conversation = await this.conversation(message.conversationId);
    await registration.showNotification(conversation ? titleOf(conversation) : "Volly", {
      tag: message.conversationId,
      renotify: true,
      body: decision.preview && message.text ? message.text : NO_PREVIEW_BODY,
      icon: "/favicon.svg",
      data: { conversationId: message.conversationId, messageId: message.id },
    } as NotificationOptions);
    return "shown";
  }

  /** Closes the notifications of a conversation the user has now seen. */
  async clear(conversationId: string): Promise<void> {
    const registration = await this.registration;
    for (const n of (await registration?.getNotifications({ tag: conversationId })) ?? []) n.close();
  }

  private async conversation(id: string): Promise<ConversationRecord | undefined> {
    const known = conversations.summaries.find((s) => s.conversation.id === id)?.conversation;
    return known ?? sdk.conversations.get(id).catch(() => undefined);
  }

  /**
   * Opens the conversation the page was opened for (`/?conversation=<id>`, from a notification
   * clicked while no tab was open) and takes it out of the address.
   */
  openFromUrl(): void {
    const url = new URL(location.href);
    const id = url.searchParams.get("conversation");
    if (!id) return;
    url.searchParams.delete("conversation");
    history.replaceState(history.state, "", url.pathname + url.search + url.hash);
    void this.open(id);
  }

  /** Opens a conversation (a channel: its community and channel). */
  async open(conversationId: string): Promise<void> {
    const conversation = await this.conversation(conversationId);
    if (!conversation) return;
    if (conversation.kind === "channel" && conversation.communityId && conversation.channelId) {
      await communities.select(conversation.communityId);
      await communities.openChannel(conversation.channelId);
    } else {
      if (communities.selectedId !== undefined) await communities.select(undefined);
      conversations.select(conversationId);
    }
  }
}

export const notifications = new NotificationStore();
