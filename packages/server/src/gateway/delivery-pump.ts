import type { DispatchEventName, DispatchPayload } from "@volly/protocol";
import { type Bus, deviceChannel, groupChannel } from "../bus/bus.js";
import type { BusMessage, TypingMessage } from "../bus/messages.js";
import type { DeliveryService } from "../services/delivery/delivery-service.js";
import type { SerialQueue } from "./serial-queue.js";

/** Log entries read per store query while pumping. */
const PAGE_SIZE = 200;
/** Pause reading the store while the socket has more than this many bytes queued (bytes). */
const HIGH_WATER_BYTES = 4 * 1024 * 1024;

/** Sends one DISPATCH event; false when the connection is gone (stop pumping). */
export type Dispatch = <T extends DispatchEventName>(t: T, d: DispatchPayload<T>) => boolean;

/**
 * Pushes a device's backlog and then its live log entries, Welcomes and ephemeral messages over one
 * gateway connection.
 */
export interface DeliveryPump {
  /**
   * Subscribes to the device's channel (Welcomes, groups it created) and its groups' channels,
   * dispatches the backlog (WELCOMEs first, then GROUP_MESSAGEs from the durable cursors) and
   * SYNCED {backlog}. Run it inside the connection's queue.
   */
  start(): Promise<void>;
  /**
   * Re-reads the store as if every notification had been lost (queued; coalesced while one is
   * pending): pending Welcomes not yet dispatched, groups the device joined meanwhile, and every
   * followed group's log past what was dispatched. Nothing is dispatched twice. Call it after the
   * bus reports a resync (Redis reconnected).
   */
  resync(): void;
  /**
   * How far this connection has dispatched a group's log (seq; own entries and the device's
   * starting point included), or undefined for a group it does not read. For a group whose
   * membership ended, the end it was pumped to. An ack capped to this is valid by construction.
   */
  dispatchedUpTo(groupId: string): number | undefined;
  /** Unsubscribes everything; queued work becomes a no-op. */
  stop(): void;
}

interface GroupState {
  /** Highest seq dispatched (or known to need no dispatch) for this group. */
  upTo: number;
  /** Highest seq announced on the bus. */
  notified: number;
  /** A pump of this group is queued and has not started yet. */
  scheduled: boolean;
  /**
   * The last store read found the device's membership open and no commit or departure was
   * announced since: the next application entry may be dispatched from its notification.
   */
  open: boolean;
  unsubscribe: () => void;
}

/**
 * Creates the {@link DeliveryPump} of one authenticated connection. All of its work runs in `queue`
 * (the connection's serial queue), and each group's "dispatched up to" position lives here, so an
 * entry is never dispatched twice or out of order even when bus notifications race the backlog.
 * Entries the device sent itself are skipped. A group whose membership ended is pumped up to its
 * end (the commit that removed the device, or its departure) and then dropped.
 *
 * @param options.bufferedAmount bytes queued on the socket, for backpressure
 * @param options.onError called with unexpected errors of queued work (never with content)
 * @param options.onTyping called (synchronously, not queued) with typing messages of the groups the
 *   pump follows, including the device's own
 * @param options.onMembershipChange called when who is in the device's groups may have changed: a
 *   WELCOME was dispatched, or a commit or departure was appended to one of its groups
 * @param options.onLiveDispatch called after each GROUP_MESSAGE dispatched once the backlog is done,
 *   with the entry's `createdAt` (ms; for the delivery latency metric)
 */
export function createDeliveryPump(options: {
  deviceId: string;
  delivery: DeliveryService;
  bus: Bus;
  queue: SerialQueue;
  dispatch: Dispatch;
  bufferedAmount: () => number;
  onError: (error: unknown) => void;
  onTyping?: (message: TypingMessage) => void;
  onMembershipChange?: () => void;
  onLiveDispatch?: (createdAt: number) => void;
}): DeliveryPump {
  const { deviceId, delivery, bus, queue, dispatch } = options;
  const groups = new Map<string, GroupState>();
  /** Groups whose membership ended and whose log was pumped to its end: that end. */
  // Both created on first use: an idle connection holds no tables.
  let ended: Map<string, number> | undefined;
  let welcomesSent: Set<string> | undefined;
  const markSent = (welcomeId: string) => {
    welcomesSent ??= new Set();
    welcomesSent.add(welcomeId);
  };
  let stopped = false;
  /** The backlog was dispatched (SYNCED sent): later dispatches are live. */
  let live = false;
  let resyncQueued = false;
  let unsubscribeDevice: (() => void) | undefined;

  const drain = async () => {
    while (!stopped && options.bufferedAmount() > HIGH_WATER_BYTES) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  const enqueue = (task: () => Promise<void>) => {
    queue
      .push(async () => {
        if (!stopped) await task();
      })
      .catch(options.onError);
  };

  const track = (groupId: string, afterSeq: number): GroupState => {
    const existing = groups.get(groupId);
    if (existing) {
      existing.upTo = Math.max(existing.upTo, afterSeq);
      return existing;
    }
    const state: GroupState = {
      upTo: afterSeq,
      notified: afterSeq,
      scheduled: false,
      open: false,
      unsubscribe: () => {},
    };
    groups.set(groupId, state);
    state.unsubscribe = bus.subscribe(groupChannel(groupId), onBusMessage);
    return state;
  };

  const untrack = (groupId: string) => {
    groups.get(groupId)?.unsubscribe();
    groups.delete(groupId);
  };

  /** True while the socket holds more than {@link HIGH_WATER_BYTES} the client has not read yet. */
  const congested = () => options.bufferedAmount() > HIGH_WATER_BYTES;

  /**
   * Dispatches every entry of the group after `upTo`; returns how many it dispatched. Back-pressure:
   * it waits while the socket is congested and stops a page as soon as the socket is (the rest is
   * read again from the store once it drains), so a client that stops reading holds at most
   * {@link HIGH_WATER_BYTES} plus one entry of this server's memory, whatever arrives meanwhile.
   */
  const pumpGroup = async (groupId: string): Promise<number> => {
    let state = groups.get(groupId);
    let sent = 0;
    while (state && !stopped) {
      await drain();
      state = groups.get(groupId);
      if (!state || stopped) break;
      const notifiedAtStart = state.notified;
      const page = await delivery.readGroup(deviceId, groupId, state.upTo, PAGE_SIZE);
      if (!page.readable) {
        untrack(groupId);
        break;
      }
      state.open = page.leftSeq === null;
      let stoppedEarly = false;
      for (const entry of page.entries) {
        if (!dispatch("GROUP_MESSAGE", entry)) return sent;
        state.upTo = entry.seq;
        sent++;
        if (live) options.onLiveDispatch?.(entry.createdAt);
        if (congested() && entry !== page.entries[page.entries.length - 1]) {
          stoppedEarly = true;
          break;
        }
      }
      if (stoppedEarly) continue;
      if (page.entries.length < PAGE_SIZE && page.leftSeq !== null) {
        // The membership ended and everything up to its end was read: nothing more will come.
        ended ??= new Map();
        ended.set(groupId, Math.max(state.upTo, page.leftSeq));
        untrack(groupId);
        break;
      }
      if (page.entries.length < PAGE_SIZE) {
        // Everything up to what was announced before this read is durable and was read; the rest
        // were this device's own entries.
        state.upTo = Math.max(state.upTo, notifiedAtStart);
        break;
      }
    }
    return sent;
  };

  const dispatchWelcome = async (welcomeId: string): Promise<boolean> => {
    if (welcomesSent?.has(welcomeId)) return false;
    const welcome = await delivery.pendingWelcome(deviceId, welcomeId);
    if (!welcome) return false;
    if (!dispatch("WELCOME", welcome)) return false;
    markSent(welcomeId);
    track(welcome.groupId, welcome.seq);
    options.onMembershipChange?.();
    return true;
  };

  function onBusMessage(message: BusMessage): void {
    if (stopped) return;
    if (
      message.type === "presence" ||
      message.type === "presence-refresh" ||
      message.type === "presence-status"
    )
      return;
    // Device events are the connection's (see connection.ts), not delivery's.
    if (
      message.type === "device-link-claimed" ||
      message.type === "device-revoked" ||
      message.type === "api-key-changed" ||
      message.type === "community-updated" ||
      message.type === "voice-state" ||
      message.type === "voice-sync" ||
      message.type === "voice-room"
    ) {
      return;
    }
    if (message.type === "welcome") {
      enqueue(async () => {
        if (!(await dispatchWelcome(message.welcomeId))) return;
        await bus.settled(); // the group's channel is live before its log is read
        await pumpGroup(message.groupId);
      });
      return;
    }
    if (message.type === "group-joined") {
      enqueue(async () => {
        track(message.groupId, message.joinedSeq);
        options.onMembershipChange?.();
        await bus.settled();
        await pumpGroup(message.groupId);
      });
      return;
    }
    const state = groups.get(message.groupId);
    if (!state) return;
    if (message.type === "typing") {
      options.onTyping?.(message);
      return;
    }
    if (message.type === "ephemeral") {
      if (message.senderDeviceId === deviceId) return;
      // Queued behind the group's pending log work, so a commit announced before it is dispatched
      // first (the device then has the epoch's keys); dropped unless the device's membership is
      // still open when its turn comes. Never stored, never dispatched again.
      const { groupId, senderDeviceId, senderAccountId, senderHandle, epoch, ciphertext } = message;
      enqueue(async () => {
        if (!groups.get(groupId)?.open) return;
        dispatch("EPHEMERAL_MESSAGE", {
          groupId,
          senderDeviceId,
          senderAccountId,
          senderHandle,
          epoch,
          ciphertext,
        });
      });
      return;
    }
    if (message.kind !== "application") {
      state.open = false;
      options.onMembershipChange?.();
    }
    state.notified = Math.max(state.notified, message.seq);
    if (message.seq <= state.upTo || state.scheduled) return;
    const { entry } = message;
    if (entry && state.open) {
      // Fast path: the next entry, announced with its content, in a group the device reads. While
      // other work is queued it is queued too, so it cannot overtake (or repeat) a store read in
      // progress; when nothing is, it is dispatched right away. A congested socket takes nothing
      // from notifications: the pump reads the store once it drains.
      const dispatchFromNotification = (): boolean => {
        const current = groups.get(message.groupId);
        if (!current || current.scheduled || entry.seq <= current.upTo) return true;
        if (!current.open || entry.seq !== current.upTo + 1 || congested()) return false;
        current.upTo = entry.seq;
        if (entry.senderDeviceId === deviceId) return true;
        if (dispatch("GROUP_MESSAGE", entry) && live) options.onLiveDispatch?.(entry.createdAt);
        return true;
      };
      if (queue.busy) {
        enqueue(async () => {
          if (!dispatchFromNotification()) await pumpGroup(message.groupId);
        });
        return;
      }
      if (dispatchFromNotification()) return;
    }
    state.scheduled = true;
    enqueue(async () => {
      const current = groups.get(message.groupId);
      if (current) current.scheduled = false;
      await pumpGroup(message.groupId);
    });
  }

  /** Catches up with the store: Welcomes and memberships not seen yet, then every group's log. */
  const catchUp = async () => {
    let joined = false;
    for (const welcome of await delivery.pendingWelcomes(deviceId)) {
      if (stopped) return;
      if (welcomesSent?.has(welcome.welcomeId)) continue;
      if (!dispatch("WELCOME", welcome)) return;
      markSent(welcome.welcomeId);
      track(welcome.groupId, welcome.seq);
      joined = true;
    }
    for (const point of await delivery.syncPoints(deviceId)) {
      if (!groups.has(point.groupId)) {
        track(point.groupId, point.afterSeq);
        joined = true;
      }
    }
    if (joined) options.onMembershipChange?.();
    await bus.settled();
    for (const groupId of [...groups.keys()]) {
      if (stopped) return;
      await pumpGroup(groupId);
      await drain();
    }
  };

  return {
    async start() {
      unsubscribeDevice = bus.subscribe(deviceChannel(deviceId), onBusMessage);
      // Subscriptions must be live before the store is read, or a notification published in
      // between (by another node, through Redis) would be missed.
      await bus.settled();
      let backlog = 0;
      for (const welcome of await delivery.pendingWelcomes(deviceId)) {
        if (stopped) return;
        if (welcomesSent?.has(welcome.welcomeId)) continue;
        if (!dispatch("WELCOME", welcome)) return;
        markSent(welcome.welcomeId);
        backlog++;
      }
      const points = await delivery.syncPoints(deviceId);
      for (const point of points) track(point.groupId, point.afterSeq);
      await bus.settled();
      for (const point of points) {
        if (stopped) return;
        backlog += await pumpGroup(point.groupId);
        await drain();
      }
      if (!stopped) dispatch("SYNCED", { backlog });
      live = true;
    },
    resync() {
      if (stopped || resyncQueued) return;
      resyncQueued = true;
      enqueue(async () => {
        resyncQueued = false;
        await catchUp();
      });
    },
    dispatchedUpTo(groupId) {
      return groups.get(groupId)?.upTo ?? ended?.get(groupId);
    },
    stop() {
      stopped = true;
      unsubscribeDevice?.();
      for (const groupId of [...groups.keys()]) untrack(groupId);
    },
  };
}
