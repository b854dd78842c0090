import { newId, type PresenceEvent } from "@volly/protocol";
import { type Bus, PRESENCE_CHANNEL } from "../bus/bus.js";
import { type BusMessage, PRESENCE_REFRESH_MAX_VIEWS, type PresenceRefreshMessage } from "../bus/messages.js";
import {
  type ChosenStatus,
  DEFAULT_CHOSEN,
  type DeviceActivity,
  fullPresence,
  laterChosen,
  ownPresence,
  peerPresence,
} from "./presence-view.js";

/** What a device says about its user (gateway op PRESENCE_UPDATE); a fresh connection is "online". */
export type DeviceStatus = DeviceActivity;
/** An account's presence as others see it. */
export type AccountStatus = PresenceEvent["status"];

/** A subscription to the presence of a set of accounts (one per gateway connection). */
export interface PresenceWatch {
  /**
   * Replaces the watched accounts and returns the events that bring the watcher up to date: the
   * current presence of every newly watched account that is not offline, and "offline" for every
   * account no longer watched that was not offline (so the client drops it).
   */
  setAccounts(accountIds: Iterable<string>): PresenceEvent[];
  /** Stops the subscription; no further callbacks. */
  stop(): void;
}

/**
 * Presence bookkeeping of one node. Presence is ephemeral: nothing is stored.
 *
 * Each node derives, from its own authenticated gateway connections, the status of each account
 * (online if any of its connections is online, away if all are away, offline if none) and
 * publishes it on the bus ({@link PRESENCE_CHANNEL}) whenever it changes, and again every refresh
 * interval while it is not offline (batched: one message per 500 accounts). Every node combines
 * its own views with the views other nodes published into the account's presence and notifies its
 * local watchers when that changes. Another
 * node's view expires when it has not been republished within the TTL, so the accounts of a node
 * that died without saying goodbye (kill -9, network loss) go offline after at most the TTL, and a
 * node that starts later learns every account's presence within one refresh interval.
 *
 * Each view also carries the account's chosen status (dnd, invisible, custom text; see
 * `presence-view.ts`), read from the store when a connection starts and updated by
 * "presence-status" bus messages; the latest `setAt` wins. A custom text's expiry is computed on
 * every announcement and checked again every refresh interval, so watchers are told when it lapses
 * and nothing is lost by a restart (the stored status is the source of truth).
 */
export interface PresenceTracker {
  /**
   * An authenticated connection of `account` appeared; it counts as online. `chosen` is the
   * account's stored status (read before connecting); a later one already known wins.
   */
  connect(connectionId: string, account: { accountId: string; handle: string }, chosen?: ChosenStatus): void;
  /** The connection's device reported a status (unknown connection ids are ignored). */
  setStatus(connectionId: string, status: DeviceStatus): void;
  /** The connection closed or lost its session (unknown connection ids are ignored). */
  disconnect(connectionId: string): void;
  /**
   * Watches accounts (see {@link PresenceWatch}); `onChange` runs on every change of a watched
   * account. `selfAccountId` is the watcher's own account: it sees itself as it is (invisible, with
   * its text); every other account is seen through {@link peerPresence} (invisible is offline).
   */
  watch(onChange: (event: PresenceEvent) => void, selfAccountId?: string): PresenceWatch;
  /** The account's presence as others see it, as this node currently knows it. */
  status(accountId: string): AccountStatus;
  /** Publishes every non-offline view of this node now (e.g. after the bus lost messages). */
  republish(): void;
  /** Unsubscribes from the bus, stops the refresh timer and forgets everything. */
  close(): void;
}

/** Default interval at which a node republishes its views and expires stale ones (ms). */
export const PRESENCE_REFRESH_INTERVAL_MS = 10_000;
/** Default time another node's view lives without being republished (ms). */
export const PRESENCE_TTL_MS = 30_000;

interface LocalConnection {
  accountId: string;
  handle: string;
  status: DeviceStatus;
}

interface NodeView {
  status: DeviceStatus;
  chosen?: ChosenStatus;
  /** When the view was last published (ms, this node's clock); never expires for this node's own view. */
  seenAt: number;
}

interface AccountView {
  handle: string;
  /** Each node's non-offline view of the account. */
  nodes: Map<string, NodeView>;
  /** What other accounts were last told (offline until a node has a view). */
  peer: PresenceEvent;
  /** What the account's own devices were last told (its chosen status); undefined: never chose one. */
  own: PresenceEvent | undefined;
}

interface Watcher {
  onChange: (event: PresenceEvent) => void;
  selfAccountId: string | undefined;
}

/** online if any activity is online, idle if there are only idle ones, undefined if there are none. */
function combine(statuses: Iterable<DeviceStatus>): DeviceStatus | undefined {
  let any = false;
  for (const status of statuses) {
    if (status === "online") return "online";
    any = true;
  }
  return any ? "idle" : undefined;
}

/** The same presence (status, text, expiry)? */
function samePresence(a: PresenceEvent | undefined, b: PresenceEvent | undefined): boolean {
  if (!a || !b) return a === b;
  return a.status === b.status && a.text === b.text && a.until === b.until && a.handle === b.handle;
}

/** A bus activity: "away" is the older nodes' name for "idle". */
function activityOf(status: "online" | "idle" | "away"): DeviceStatus {
  return status === "online" ? "online" : "idle";
}

/**
 * Creates the {@link PresenceTracker} of this node and subscribes it to {@link PRESENCE_CHANNEL}.
 *
 * @param options.bus where node views are published and received
 * @param options.nodeId this node's id in presence messages (default: a random id)
 * @param options.onError called when a watcher's callback throws
 * @param options.refreshIntervalMs how often this node republishes its views and expires other
 *   nodes' stale ones (ms); default {@link PRESENCE_REFRESH_INTERVAL_MS}
 * @param options.ttlMs how long another node's view lives without being republished (ms); default
 *   {@link PRESENCE_TTL_MS}; keep it a few refresh intervals long
 * @param options.now clock (ms)
 */
export function createPresenceTracker(options: {
  bus: Bus;
  nodeId?: string;
  onError?: (error: unknown) => void;
  refreshIntervalMs?: number;
  ttlMs?: number;
  now?: () => number;
}): PresenceTracker {
  const { bus } = options;
  const nodeId = options.nodeId ?? newId();
  const now = options.now ?? Date.now;
  const ttlMs = options.ttlMs ?? PRESENCE_TTL_MS;
  const connections = new Map<string, LocalConnection>();
  const connectionsByAccount = new Map<string, Set<string>>();
  /** The last view of each account this node published (absent = offline), with its handle. */
  const published = new Map<string, { handle: string; status: DeviceStatus; chosen?: ChosenStatus }>();
  /**
   * The latest chosen status this node knows of each account it has seen (from the store at
   * connect, node views and status announcements). Small (one entry per account), never pruned.
   */
  const chosenOf = new Map<string, ChosenStatus>();
  const views = new Map<string, AccountView>();
  const watchers = new Map<string, Set<Watcher>>();
  let closed = false;

  /** Learns a chosen status; true when it is later than what was known. */
  const learnChosen = (accountId: string, chosen: ChosenStatus | undefined): boolean => {
    if (!chosen) return false;
    const known = chosenOf.get(accountId);
    if (laterChosen(known, chosen) === known && known) return false;
    chosenOf.set(accountId, chosen);
    return true;
  };

  /** Recomputes an account's presence after its views or status changed; notifies watchers on a change. */
  const recompute = (accountId: string, view: AccountView) => {
    const activity = combine([...view.nodes.values()].map((n) => n.status));
    if (view.nodes.size === 0) views.delete(accountId);
    const account = { accountId, handle: view.handle };
    const chosen = chosenOf.get(accountId) ?? DEFAULT_CHOSEN;
    const peer = peerPresence(fullPresence(account, activity, chosen, now()));
    const own = ownPresence(account, chosen, now());
    const peerChanged = !samePresence(peer, view.peer);
    const ownChanged = !samePresence(own, view.own);
    view.peer = peer;
    view.own = own;
    for (const watcher of [...(watchers.get(accountId) ?? [])]) {
      const self = watcher.selfAccountId === accountId;
      if (self ? !ownChanged || !own : !peerChanged) continue;
      try {
        watcher.onChange(self && own ? own : peer);
      } catch (error) {
        options.onError?.(error);
      }
    }
  };

  /** Records one node's view of an account (this node's own, or one received over the bus). */
  const applyView = (
    from: string,
    accountId: string,
    handle: string,
    status: DeviceStatus | "offline",
    chosen?: ChosenStatus,
  ) => {
    learnChosen(accountId, chosen);
    let view = views.get(accountId);
    if (!view) {
      if (status === "offline") return;
      view = { handle, nodes: new Map(), peer: { accountId, handle, status: "offline" }, own: undefined };
      views.set(accountId, view);
    }
    if (status === "offline") view.nodes.delete(from);
    else view.nodes.set(from, { status, seenAt: from === nodeId ? Number.POSITIVE_INFINITY : now() });
    recompute(accountId, view);
  };

  const publishLocalView = (accountId: string, handle: string) => {
    const ids = connectionsByAccount.get(accountId) ?? new Set<string>();
    const status = combine([...ids].map((id) => connections.get(id)?.status ?? "idle")) ?? "offline";
    const chosen = chosenOf.get(accountId);
    const last = published.get(accountId);
    if (!last && status === "offline") return;
    if (last?.status === status && last.chosen === chosen) return;
    if (status === "offline") published.delete(accountId);
    else published.set(accountId, { handle, status, ...(chosen ? { chosen } : {}) });
    bus.publish(PRESENCE_CHANNEL, {
      type: "presence",
      nodeId,
      accountId,
      handle,
      status,
      ...(chosen && status !== "offline" ? { chosen } : {}),
    });
    // This node's own view does not wait for (or depend on) the bus; deferred like a bus delivery.
    queueMicrotask(() => {
      if (!closed) applyView(nodeId, accountId, handle, status, chosen);
    });
  };

  const onMessage = (message: BusMessage) => {
    if (message.type === "presence" && message.nodeId !== nodeId) {
      const status = message.status === "offline" ? "offline" : activityOf(message.status);
      applyView(message.nodeId, message.accountId, message.handle, status, message.chosen);
    }
    if (message.type === "presence-refresh" && message.nodeId !== nodeId) {
      for (const v of message.views) {
        applyView(message.nodeId, v.accountId, v.handle, activityOf(v.status), v.chosen);
      }
    }
    if (message.type === "presence-status" && learnChosen(message.accountId, message.chosen)) {
      const view = views.get(message.accountId);
      if (view) recompute(message.accountId, view);
      if (connectionsByAccount.has(message.accountId)) publishLocalView(message.accountId, message.handle);
    }
  };
  const unsubscribe = bus.subscribe(PRESENCE_CHANNEL, onMessage);

  const republish = () => {
    let views: PresenceRefreshMessage["views"] = [];
    for (const [accountId, { handle, status, chosen }] of published) {
      views.push({ accountId, handle, status, ...(chosen ? { chosen } : {}) });
      if (views.length === PRESENCE_REFRESH_MAX_VIEWS) {
        bus.publish(PRESENCE_CHANNEL, { type: "presence-refresh", nodeId, views });
        views = [];
      }
    }
    if (views.length > 0) bus.publish(PRESENCE_CHANNEL, { type: "presence-refresh", nodeId, views });
  };
  /** Drops other nodes' stale views, and tells watchers about custom texts that expired. */
  const expire = () => {
    const cutoff = now() - ttlMs;
    for (const [accountId, view] of [...views]) {
      for (const [from, node] of view.nodes) {
        if (node.seenAt < cutoff) view.nodes.delete(from);
      }
      recompute(accountId, view);
    }
  };
  const timer = setInterval(() => {
    republish();
    expire();
  }, options.refreshIntervalMs ?? PRESENCE_REFRESH_INTERVAL_MS);
  timer.unref();

  return {
    connect(connectionId, { accountId, handle }, chosen) {
      learnChosen(accountId, chosen);
      connections.set(connectionId, { accountId, handle, status: "online" });
      let ids = connectionsByAccount.get(accountId);
      if (!ids) {
        ids = new Set();
        connectionsByAccount.set(accountId, ids);
      }
      ids.add(connectionId);
      publishLocalView(accountId, handle);
    },

    setStatus(connectionId, status) {
      const connection = connections.get(connectionId);
      if (!connection || connection.status === status) return;
      connection.status = status;
      publishLocalView(connection.accountId, connection.handle);
    },

    disconnect(connectionId) {
      const connection = connections.get(connectionId);
      if (!connection) return;
      connections.delete(connectionId);
      const ids = connectionsByAccount.get(connection.accountId);
      ids?.delete(connectionId);
      if (ids?.size === 0) connectionsByAccount.delete(connection.accountId);
      publishLocalView(connection.accountId, connection.handle);
    },

    watch(onChange, selfAccountId) {
      const watcher: Watcher = { onChange, selfAccountId };
      /** What this watcher is told of a watched account now; undefined: nothing to tell. */
      const seen = (accountId: string, view: AccountView) => {
        const event = accountId === selfAccountId ? view.own : view.peer;
        return event?.status === "offline" ? undefined : event;
      };
      let watched = new Set<string>();
      let stopped = false;
      const index = (accountId: string) => {
        let set = watchers.get(accountId);
        if (!set) {
          set = new Set();
          watchers.set(accountId, set);
        }
        set.add(watcher);
      };
      const unindex = (accountId: string) => {
        const set = watchers.get(accountId);
        set?.delete(watcher);
        if (set?.size === 0) watchers.delete(accountId);
      };
      return {
        setAccounts(accountIds) {
          if (stopped) return [];
          const next = new Set(accountIds);
          const events: PresenceEvent[] = [];
          for (const accountId of watched) {
            if (next.has(accountId)) continue;
            unindex(accountId);
            const view = views.get(accountId);
            if (view && seen(accountId, view))
              events.push({ accountId, handle: view.handle, status: "offline" });
          }
          for (const accountId of next) {
            if (watched.has(accountId)) continue;
            index(accountId);
            const event = views.get(accountId) && seen(accountId, views.get(accountId) as AccountView);
            if (event) events.push(event);
          }
          watched = next;
          return events;
        },
        stop() {
          stopped = true;
          for (const accountId of watched) unindex(accountId);
          watched = new Set();
        },
      };
    },

    status(accountId) {
      return views.get(accountId)?.peer.status ?? "offline";
    },

    republish,

    close() {
      closed = true;
      clearInterval(timer);
      unsubscribe();
      connections.clear();
      connectionsByAccount.clear();
      published.clear();
      chosenOf.clear();
      views.clear();
      watchers.clear();
    },
  };
}
