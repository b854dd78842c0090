import {
  DISPATCH_EVENTS,
  type DispatchPayload,
  type GroupMessageEvent,
  matches,
  retryClass,
  VollyError,
  type WelcomeEvent,
} from "@volly/protocol";
import type { KeyPackagePool } from "../account/key-package-pool.js";
import type { ConversationRecord } from "../conversations/conversation-records.js";
import type { ConversationServices } from "../conversations/conversation-services.js";
import { acceptWelcome } from "../conversations/welcome.js";
import type { DeliveryLog } from "../messaging/delivery-log.js";
import type { IncomingMessages } from "../messaging/incoming.js";
import type { Messaging } from "../messaging/messaging.js";
import type { Typing } from "../messaging/typing.js";
import type { Presence } from "../presence/presence.js";
import { Listeners } from "../shared/listeners.js";
import type { Dispatch } from "../transport/gateway-connection.js";

/** Sends delivery acks (op ACK) for durably processed log entries and welcomes. */
export type Acknowledge = (cursors: Array<{ groupId: string; seq: number }>, welcomeIds: string[]) => void;

/** Optional collaborators of {@link Sync}. */
export interface SyncOptions {
  presence?: Presence;
  typing?: Typing;
  /**
   * Called when an entry could not be processed for a reason other than decryption (the store, or
   * the server unreachable while resolving an own commit). The entry is not acknowledged; dropping
   * the connection makes the server deliver it again from the durable cursor.
   */
  resync?: () => void;
  /** Receives DEVICE_LINK_CLAIMED dispatches (a new device claimed a link of this account). */
  onDeviceLinkClaimed?: (event: DispatchPayload<"DEVICE_LINK_CLAIMED">) => void;
}

/**
 * After this many failed attempts (for a reason that is not transient) an entry is counted as
 * undecryptable ("other") and acknowledged, so one bad entry cannot wedge its group forever.
 */
const MAX_ENTRY_ATTEMPTS = 5;
/**
 * An entry that failed for a reason worth retrying (`retryClass` "later" or "reauth": the server
 * briefly unreachable, a session to renew) is retried after this many ms, uncounted, forever.
 */
const TRANSIENT_RETRY_MS = 1_000;

/**
 * Applies the gateway's dispatches to local state, in order: joins groups from WELCOMEs, processes
 * GROUP_MESSAGEs, and acknowledges each only after its effects are stored (at-least-once delivery
 * plus local dedup = exactly-once for the user). PRESENCE_UPDATE and TYPING_START go to
 * {@link Presence} and {@link Typing}.
 */
export class Sync {
  /** Fires when a Welcome created a new conversation (not for the account's self conversation). */
  readonly joined = new Listeners<ConversationRecord>();
  /** Fires after each SYNCED: everything the server held for this device has been processed. */
  readonly synced = new Listeners<number>();
  private readonly blocked = new Set<string>();
  private readonly failures = new Map<string, number>();

  constructor(
    private readonly conversations: ConversationServices,
    private readonly messaging: Messaging,
    private readonly incoming: IncomingMessages,
    private readonly deliveryLog: DeliveryLog,
    private readonly keyPackages: KeyPackagePool,
    private readonly acknowledge: Acknowledge,
    private readonly options: SyncOptions = {},
  ) {}

  /** Handles one dispatch; never throws (a bad event is counted and acknowledged). */
  async handle(dispatch: Dispatch): Promise<void> {
    switch (dispatch.t) {
      case "READY":
      case "RESUMED":
        this.blocked.clear();
        this.options.presence?.sessionStarted();
        break;
      case "WELCOME":
        if (matches(DISPATCH_EVENTS.WELCOME, dispatch.d)) await this.onWelcome(dispatch.d);
        break;
      case "GROUP_MESSAGE":
        if (matches(DISPATCH_EVENTS.GROUP_MESSAGE, dispatch.d)) await this.onGroupMessage(dispatch.d);
        break;
      case "PRESENCE_UPDATE":
        if (matches(DISPATCH_EVENTS.PRESENCE_UPDATE, dispatch.d)) this.options.presence?.handle(dispatch.d);
        break;
      case "TYPING_START":
        if (matches(DISPATCH_EVENTS.TYPING_START, dispatch.d)) this.options.typing?.handle(dispatch.d);
        break;
      case "DEVICE_LINK_CLAIMED":
        if (matches(DISPATCH_EVENTS.DEVICE_LINK_CLAIMED, dispatch.d))
          this.options.onDeviceLinkClaimed?.(dispatch.d);
        break;
      case "SYNCED":
        await this.messaging.flushOutbox().catch(() => undefined);
        // Others may have claimed this device's key packages while it was away (adds that failed,
        // or a claimant draining the pool): refill now rather than at the next Welcome.
        this.keyPackages.topUp().catch(() => undefined);
        void this.conversations.commits
          .settleAll()
          .then(() => this.conversations.departures.resume())
          .catch(() => undefined);
        this.options.presence?.synced();
        this.synced.emit((dispatch.d as DispatchPayload<"SYNCED">).backlog);
        break;
      default:
        break;
    }
  }

  /** Resolves at the next SYNCED dispatch, or rejects after `timeoutMs`. */
  nextSynced(timeoutMs = 30_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new VollyError("VOLLY_E_SERVER_UNREACHABLE", "Timed out waiting for the server to sync."));
      }, timeoutMs);
      const off = this.synced.add(() => {
        clearTimeout(timer);
        off();
        resolve();
      });
    });
  }

  private async onWelcome(event: WelcomeEvent): Promise<void> {
    try {
      const conv = await acceptWelcome(this.conversations, event);
      if (!conv.self) this.joined.emit(conv);
    } catch (err) {
      if (!(err instanceof VollyError)) throw err;
      await this.deliveryLog.countUndecryptable(String(err.details?.cause ?? "missing-state"));
    }
    this.acknowledge([], [event.welcomeId]);
    this.keyPackages.topUp().catch(() => undefined);
  }

  private async onGroupMessage(event: GroupMessageEvent): Promise<void> {
    if (this.blocked.has(event.groupId)) return;
    const key = `${event.groupId}:${event.seq}`;
    try {
      const message = await this.incoming.handle(event);
      if (message) this.options.typing?.clear(event.groupId, event.senderAccountId);
      this.failures.delete(key);
    } catch (err) {
      this.blocked.add(event.groupId);
      if (retryClass(err) !== "never") {
        // The server is briefly unreachable for REST: try again soon, never give the entry up.
        const timer = setTimeout(() => this.options.resync?.(), TRANSIENT_RETRY_MS);
        (timer as { unref?: () => void }).unref?.();
        return;
      }
      const attempts = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, attempts);
      if (attempts < MAX_ENTRY_ATTEMPTS) {
        this.options.resync?.();
        return;
      }
      this.blocked.delete(event.groupId);
      this.failures.delete(key);
      await this.deliveryLog.countUndecryptable("other").catch(() => undefined);
    }
    this.acknowledge([{ groupId: event.groupId, seq: event.seq }], []);
  }
}
