import type { PresenceEvent } from "@volly/protocol";
import type { AuthContext } from "../services/context.js";
import type { PresenceService } from "../services/presence.js";
import type { Dispatch } from "./delivery-pump.js";
import type { DeviceStatus, PresenceTracker, PresenceWatch } from "./presence-tracker.js";
import { DEFAULT_CHOSEN } from "./presence-view.js";
import type { SerialQueue } from "./serial-queue.js";

/** Minimum time between two status changes one connection applies; later frames coalesce (ms). */
export const STATUS_MIN_INTERVAL_MS = 1_000;

/** The presence side of one authenticated gateway connection. */
export interface ConnectionPresence {
  /**
   * Reads the account's stored status, registers the connection (online) with the tracker, loads
   * the accounts that share a group with the device's account, and dispatches PRESENCE_UPDATE for
   * the account itself and each of them that is not offline. Run
   * it in the connection's queue right after READY/RESUMED; later changes are dispatched as they
   * happen.
   */
  start(): Promise<void>;
  /**
   * Applies a PRESENCE_UPDATE frame's status. At most one change per {@link STATUS_MIN_INTERVAL_MS}
   * takes effect; the latest status wins.
   */
  setStatus(status: DeviceStatus): void;
  /**
   * Reloads the accounts sharing a group (queued; coalesced while one reload is pending): newly
   * visible accounts' presence is dispatched, accounts no longer visible are dispatched as offline.
   * Call it when the device's groups may have changed (a WELCOME, a commit, a departure).
   */
  refreshPeers(): void;
  /** Unregisters the connection (its account may go offline) and stops dispatching. Idempotent. */
  stop(): void;
}

/**
 * Creates the {@link ConnectionPresence} of one authenticated connection.
 *
 * @param options.connectionId unique per connection (not the session id: sessions move on RESUME)
 * @param options.queue the connection's serial queue (peer reloads run in it)
 * @param options.onError called with unexpected errors of queued work
 */
export function createConnectionPresence(options: {
  connectionId: string;
  device: AuthContext;
  tracker: PresenceTracker;
  presence: PresenceService;
  queue: SerialQueue;
  dispatch: Dispatch;
  onError: (error: unknown) => void;
  now?: () => number;
}): ConnectionPresence {
  const { connectionId, device, tracker, queue, dispatch } = options;
  const now = options.now ?? Date.now;
  let watch: PresenceWatch | undefined;
  let stopped = false;
  let applied: DeviceStatus = "online";
  let wanted: DeviceStatus = "online";
  let lastChangeAt = Number.NEGATIVE_INFINITY;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let reloadQueued = false;

  const send = (event: PresenceEvent) => {
    if (!stopped) dispatch("PRESENCE_UPDATE", event);
  };

  const reload = async () => {
    const peers = await options.presence.peers(device.accountId);
    if (stopped || !watch) return;
    const accounts = [device.accountId, ...peers.map((p) => p.accountId)];
    for (const event of watch.setAccounts(accounts)) send(event);
  };

  const apply = () => {
    timer = undefined;
    if (stopped || wanted === applied) return;
    applied = wanted;
    lastChangeAt = now();
    tracker.setStatus(connectionId, applied);
  };

  return {
    async start() {
      if (stopped) return;
      const stored = await options.presence.storedStatus(device.accountId);
      if (stopped) return;
      const { accountId: _, ...chosen } = stored ?? { accountId: "", ...DEFAULT_CHOSEN };
      tracker.connect(connectionId, device, chosen);
      watch = tracker.watch(send, device.accountId);
      await reload();
    },

    setStatus(status) {
      if (stopped) return;
      wanted = status;
      if (timer) return;
      const wait = lastChangeAt + STATUS_MIN_INTERVAL_MS - now();
      if (wait <= 0) apply();
      else {
        timer = setTimeout(apply, wait);
        timer.unref();
      }
    },

    refreshPeers() {
      if (stopped || reloadQueued) return;
      reloadQueued = true;
      queue
        .push(async () => {
          reloadQueued = false;
          if (!stopped) await reload();
        })
        .catch(options.onError);
    },

    stop() {
      if (stopped) return;
      stopped = true;
      if (timer) clearTimeout(timer);
      watch?.stop();
      tracker.disconnect(connectionId);
    },
  };
}
