import { clearAccountHint, writeAccountHint } from "../lib/account-hint.js";
import {
  clearPendingCommunityInvite,
  clearPendingInvite,
  takeCommunityInviteFromUrl,
  takeInviteFromUrl,
} from "../lib/invite-link.js";
import { onSdkEvent, sdk } from "../lib/sdk.js";
import type { LinkThisDevice, Me, NewProfile, RestoreProfile, SdkEvent } from "../worker/rpc-types.js";
import { communities } from "./communities.svelte.js";
import { connection } from "./connection.svelte.js";
import { conversations } from "./conversations.svelte.js";
import { dialogs } from "./dialogs.svelte.js";
import { messageActions } from "./message-actions.svelte.js";
import { messages } from "./messages.svelte.js";
import { notifications } from "./notifications.svelte.js";
import { presence, trackVisibility } from "./presence.svelte.js";
import { readTracker } from "./read-tracker.svelte.js";
import { settings } from "./settings.svelte.js";
import { threads } from "./threads.svelte.js";
import { trackUnreadTitle } from "./unread-title.svelte.js";

export type Phase = "boot" | "onboarding" | "unlock" | "ready";

/** Where the app is (boot → onboarding or unlock → ready) and who is signed in. */
class SessionStore {
  phase = $state<Phase>("boot");
  me = $state<Me | undefined>();
  /** An invite link the page was opened with, accepted once the user is in. */
  pendingInvite = $state<string | undefined>();
  /** A community invite link (`/c/<code>`) the page was opened with, offered once the user is in. */
  pendingCommunityInvite = $state<string | undefined>();
  inviteError = $state<string | undefined>();
  bootError = $state<string | undefined>();
  /**
   * The new account's recovery key, shown once on the onboarding screen until the user confirms they
   * stored it ({@link SessionStore.confirmRecoveryKey}); never stored.
   */
  recoveryKey = $state<string | undefined>();

  /** Decides between onboarding and unlock (after the first paint; loads only the store). */
  async boot(): Promise<void> {
    this.pendingInvite = takeInviteFromUrl();
    this.pendingCommunityInvite = takeCommunityInviteFromUrl();
    try {
      const { hasProfile } = await sdk.session.probe();
      this.phase = hasProfile ? "unlock" : "onboarding";
    } catch (err) {
      this.bootError = err instanceof Error ? err.message : "This browser cannot store Volly's keys.";
      this.phase = "onboarding";
    }
  }

  async createProfile(profile: NewProfile): Promise<void> {
    this.me = await sdk.session.createProfile(profile);
    // The recovery key is shown once before the app opens; without one (server unreachable just now)
    // the settings offer to create it later.
    this.recoveryKey = await sdk.recovery.setUp().catch(() => undefined);
    if (this.recoveryKey === undefined) await this.enter();
  }

  /** The user stored the recovery key: forget it and open the app. */
  async confirmRecoveryKey(): Promise<void> {
    this.recoveryKey = undefined;
    await this.enter();
  }

  /** Restores an account with its recovery key (every other device is revoked), then opens the app. */
  async recoverProfile(restore: RestoreProfile): Promise<void> {
    this.me = await sdk.session.recoverProfile(restore);
    await this.enter();
  }

  async unlock(pin: string): Promise<void> {
    this.me = await sdk.session.unlock(pin);
    await this.enter();
  }

  /** Links this browser to an existing account (resolves once the other device approved). */
  async link(options: LinkThisDevice): Promise<void> {
    this.me = await sdk.session.link(options);
    await this.enter();
  }

  /** Updates who is signed in (a new display name) and the unlock screen's hint. */
  setMe(me: Me): void {
    this.me = me;
    writeAccountHint(me);
  }

  /**
   * Locks: the worker closes the client (the outbox is flushed) and drops the keys, then the page
   * reloads, so nothing decrypted stays in memory; it opens on the unlock screen.
   */
  async lock(): Promise<void> {
    await sdk.session.lock();
    location.reload();
  }

  /** Signs out: wipes this browser's profile (see `SessionApi.signOut`) and reloads to onboarding. */
  async signOut(): Promise<void> {
    await sdk.session.signOut();
    clearAccountHint();
    location.reload();
  }

  /** Accepts the pending invite and opens the conversation with the inviter. */
  async acceptPendingInvite(): Promise<void> {
    const link = this.pendingInvite;
    if (!link) return;
    try {
      const conversation = await sdk.invites.accept(link);
      conversations.upsert(conversation);
      conversations.select(conversation.id);
      this.inviteError = undefined;
    } catch (err) {
      this.inviteError = err instanceof Error ? err.message : "The invite could not be accepted.";
    }
    clearPendingInvite();
    this.pendingInvite = undefined;
    await conversations.refresh();
  }

  /** Opens the join dialog on the community invite the page was opened with (the user decides). */
  private offerPendingCommunityInvite(): void {
    const invite = this.pendingCommunityInvite;
    if (!invite) return;
    clearPendingCommunityInvite();
    this.pendingCommunityInvite = undefined;
    dialogs.open({ kind: "join-community", invite });
  }

  private async enter(): Promise<void> {
    if (this.me) writeAccountHint(this.me);
    onSdkEvent(onEvent);
    void sdk.connection
      .state()
      .then((s) => {
        connection.state = s;
      })
      .catch(() => undefined);
    await Promise.all([settings.load(), conversations.refresh(), communities.refresh()]);
    this.phase = "ready";
    trackVisibility();
    trackUnreadTitle();
    notifications.openFromUrl();
    this.offerPendingCommunityInvite();
    await this.acceptPendingInvite();
  }
}

function onEvent(event: SdkEvent): void {
  switch (event.type) {
    case "message":
      messages.upsert(event.message);
      threads.onMessage(event.message);
      conversations.refreshSoon();
      if (event.message.direction === "in") {
        readTracker.onIncoming(event.message.conversationId);
        void notifications.onIncoming(event.message);
      }
      break;
    case "message-update":
      messages.upsert(event.message);
      threads.onMessage(event.message);
      conversations.refreshSoon();
      break;
    case "message-action":
      messageActions.onAction(event.action);
      break;
    case "typing":
      presence.setTyping(event.conversationId, event.handles);
      break;
    case "presence":
      presence.set(event);
      break;
    case "own-status":
      presence.setOwn(event.status);
      break;
    case "settings":
      settings.onSynced(event.settings);
      break;
    case "connection":
      connection.state = event.state;
      // back online: catch up with presence (what the SDK heard since the gateway re-announced it)
      if (event.state === "connected") {
        void presence.refresh(conversations.contacts.map((c) => c.handle));
        void presence.refreshOwn();
      }
      break;
    case "conversation":
      conversations.upsert(event.conversation);
      conversations.refreshSoon();
      break;
    case "community":
      communities.onChange(event);
      break;
  }
}

export const session = new SessionStore();
