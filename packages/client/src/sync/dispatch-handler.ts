import type { DispatchEventName, DispatchPayload } from "@volly/protocol";
import type { KeyPackagePoolService } from "../account/key-package-pool.js";
import type { ConversationRecord } from "../conversations/conversation-records.js";
import type { ConversationServices } from "../conversations/conversation-services.js";
import type { DeliveryLog } from "../messaging/delivery-log.js";
import type { EphemeralIncoming } from "../messaging/ephemeral-incoming.js";
import type { IncomingMessages } from "../messaging/incoming.js";
import type { Outbox } from "../messaging/outbox.js";
import type { TypingService } from "../messaging/typing.js";
import type { PresenceService } from "../presence/presence.js";
import type { DiagnosticsService } from "../shared/diagnostics.js";
import type { ListenerSet } from "../shared/listeners.js";
import type { EntryRetries } from "./entry-retries.js";

/** Sends delivery acks (op ACK) for durably processed log entries and welcomes. */
export type Acknowledge = (cursors: Array<{ groupId: string; seq: number }>, welcomeIds: string[]) => void;

/** What dispatch handlers work with (one of each per client). */
export interface SyncDeps {
  conversations: ConversationServices;
  incoming: IncomingMessages;
  /** Decrypts and emits ephemeral messages (EPHEMERAL_MESSAGE: call signaling). */
  ephemeral: EphemeralIncoming;
  outbox: Outbox;
  deliveryLog: DeliveryLog;
  keyPackages: KeyPackagePoolService;
  presence: PresenceService;
  typing: TypingService;
  acknowledge: Acknowledge;
  /** Where background failures are reported. */
  diagnostics: DiagnosticsService;
  /**
   * Called when an entry could not be processed for a reason other than decryption (the store, or
   * the server unreachable while resolving an own commit). The entry is not acknowledged; dropping
   * the connection makes the server deliver it again from the durable cursor.
   */
  resync(): void;
  /** Receives DEVICE_LINK_CLAIMED dispatches (a new device claimed a link of this account). */
  onDeviceLinkClaimed(event: DispatchPayload<"DEVICE_LINK_CLAIMED">): void;
  /** Receives COMMUNITY_UPDATE dispatches (a community of this account changed). */
  onCommunityUpdate(event: DispatchPayload<"COMMUNITY_UPDATE">): void;
  /** Receives VOICE_STATE_UPDATE dispatches (someone joined, changed or left a voice channel). */
  onVoiceStateUpdate(event: DispatchPayload<"VOICE_STATE_UPDATE">): void;
}

/** The events and per-session state `Sync` gives its handlers on top of {@link SyncDeps}. */
export interface SyncContext extends SyncDeps {
  /** Fires when a Welcome created a new conversation (not for the account's self conversation). */
  joined: ListenerSet<ConversationRecord>;
  /** Fires after each SYNCED with the backlog size. */
  synced: ListenerSet<number>;
  /** Log entries that failed, and the groups held back until they are retried. */
  entries: EntryRetries;
}

/**
 * How the SDK applies one kind of gateway dispatch (`DISPATCH_EVENTS` of packages/protocol): a
 * file in `sync/dispatches/`, listed in the typed registry (`registry.ts`), so a new dispatch is a
 * new handler — TypeScript refuses one without — never another `case`. The payload has been
 * validated against the event's schema; handlers run one at a time, in order.
 */
export interface DispatchHandler<T extends DispatchEventName> {
  /**
   * Applies the dispatch; acknowledges what it stored. Never throws for a bad entry (it is counted
   * and acknowledged instead); throws only when the local store fails.
   */
  handle(payload: DispatchPayload<T>, sync: SyncContext): Promise<void> | void;
}
