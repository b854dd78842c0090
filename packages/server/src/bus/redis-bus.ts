import { Redis, type RedisOptions } from "ioredis";
import type { BusErrorKind } from "../metrics.js";
import type { Bus, BusHandler } from "./bus.js";
import type { BusMessage } from "./messages.js";
import { parseBusMessage } from "./parse-bus-message.js";

/** Options of {@link createRedisBus}. */
export interface RedisBusOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` (TLS). */
  url: string;
  /** Prefix of every Redis channel, so deployments can share one Redis. Default "volly:". */
  channelPrefix?: string;
  /** Called with every failure; the bus keeps working (and reconnecting) regardless. */
  onError?: (kind: BusErrorKind, error: unknown) => void;
  /** How long {@link createRedisBus} waits for both connections (ms). Default 10000. */
  connectTimeoutMs?: number;
  /** Longest wait between two reconnection attempts (ms). Default 1000. */
  maxReconnectDelayMs?: number;
}

/** The control channel (after the prefix) on which a node that reconnected asks every node to resync. */
const CONTROL_CHANNEL = "control";
const RESYNC = JSON.stringify({ type: "resync" });
/** Resync signals closer together than this are coalesced into one (ms). */
const RESYNC_COALESCE_MS = 100;
/** {@link Bus.settled} never waits longer than this (ms): a stalled Redis must not stall gateways. */
const SETTLE_TIMEOUT_MS = 2_000;
/** Channels per SUBSCRIBE command when resubscribing after a reconnect. */
const SUBSCRIBE_CHUNK = 500;

/**
 * Creates the scaled shape's {@link Bus}: Redis pub/sub (ioredis) with one connection that publishes
 * and one that subscribes. Messages are the same JSON as the in-process bus's; every received payload
 * is validated against the message schemas (see `parseBusMessage`) — an invalid one is counted ("invalid-message") and dropped.
 * A Redis SUBSCRIBE is issued when a channel gets its first local handler and an UNSUBSCRIBE when it
 * loses its last.
 *
 * Redis only wakes nodes up; the store holds the truth. While Redis is unreachable, publishes are
 * dropped (counted as "publish" errors) and both connections reconnect with backoff. When the
 * subscribing connection is back it resubscribes every channel and then signals a resync
 * ({@link Bus.onResync}) so every gateway connection re-reads the store; when the publishing
 * connection is back it broadcasts a resync on the control channel, so the other nodes also recover
 * the notifications this node could not publish.
 *
 * @throws Error when either connection is not ready within `connectTimeoutMs` (both are closed)
 */
export async function createRedisBus(options: RedisBusOptions): Promise<Bus> {
  const prefix = options.channelPrefix ?? "volly:";
  const control = prefix + CONTROL_CHANNEL;
  const onError = options.onError ?? (() => {});
  const maxDelay = options.maxReconnectDelayMs ?? 1_000;
  const common: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 2,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), maxDelay),
  };
  const pub = new Redis(options.url, { ...common, connectionName: "volly-pub" });
  const sub = new Redis(options.url, { ...common, connectionName: "volly-sub", autoResubscribe: false });
  const handlers = new Map<string, Set<BusHandler>>();
  const resyncListeners = new Set<() => void>();
  const pending = new Set<Promise<void>>();
  let closed = false;
  let resyncTimer: ReturnType<typeof setTimeout> | undefined;

  for (const connection of [pub, sub]) connection.on("error", (error) => onError("connection", error));

  const track = (command: Promise<unknown>) => {
    const settled = command.then(
      () => undefined,
      (error: unknown) => {
        if (!closed) onError("subscribe", error);
      },
    );
    pending.add(settled);
    void settled.finally(() => pending.delete(settled));
  };

  const scheduleResync = () => {
    if (closed || resyncTimer) return;
    resyncTimer = setTimeout(() => {
      resyncTimer = undefined;
      if (closed) return;
      for (const listener of [...resyncListeners]) {
        try {
          listener();
        } catch (error) {
          onError("handler", error);
        }
      }
    }, RESYNC_COALESCE_MS);
    resyncTimer.unref();
  };

  sub.on("message", (redisChannel: string, text: string) => {
    if (closed) return;
    if (redisChannel === control) {
      if (text === RESYNC) scheduleResync();
      else onError("invalid-message", new Error("invalid control message"));
      return;
    }
    const local = handlers.get(redisChannel.slice(prefix.length));
    if (!local || local.size === 0) return;
    const message = parseBusMessage(text);
    if (!message) {
      onError("invalid-message", new Error(`invalid bus message on ${redisChannel}`));
      return;
    }
    for (const handler of [...local]) {
      try {
        handler(message);
      } catch (error) {
        onError("handler", error);
      }
    }
  });

  const timeout = options.connectTimeoutMs ?? 10_000;
  const ready = (connection: Redis) =>
    new Promise<void>((resolve) => {
      connection.once("ready", () => resolve());
      connection.connect().catch(() => undefined); // failures are retried (and reported as errors)
    });
  try {
    await withTimeout(Promise.all([ready(pub), ready(sub)]), timeout, `no answer within ${timeout} ms`);
    await sub.subscribe(control);
  } catch (error) {
    pub.disconnect();
    sub.disconnect();
    throw new Error(`cannot connect to Redis: ${(error as Error).message}`, { cause: error });
  }

  // Reconnections (the first "ready" happened above): resubscribe, then tell local subscribers.
  sub.on("ready", () => {
    if (closed) return;
    const channels = [control, ...[...handlers.keys()].map((c) => prefix + c)];
    const commands: Promise<unknown>[] = [];
    for (let i = 0; i < channels.length; i += SUBSCRIBE_CHUNK) {
      commands.push(sub.subscribe(...channels.slice(i, i + SUBSCRIBE_CHUNK)));
    }
    const all = Promise.all(commands);
    track(all);
    void all.then(scheduleResync, () => scheduleResync());
  });
  pub.on("ready", () => {
    if (closed) return;
    pub.publish(control, RESYNC).catch((error: unknown) => onError("publish", error));
  });

  return {
    publish(channel, message: BusMessage) {
      if (closed) return;
      if (pub.status !== "ready") {
        onError("publish", new Error("Redis is not connected"));
        return;
      }
      pub.publish(prefix + channel, JSON.stringify(message)).catch((error: unknown) => {
        if (!closed) onError("publish", error);
      });
    },

    subscribe(channel, handler) {
      if (closed) return () => {};
      let local = handlers.get(channel);
      if (!local) {
        local = new Set();
        handlers.set(channel, local);
        if (sub.status === "ready") track(sub.subscribe(prefix + channel));
      }
      local.add(handler);
      return () => {
        const set = handlers.get(channel);
        if (!set?.delete(handler) || set.size > 0) return;
        handlers.delete(channel);
        if (!closed && sub.status === "ready") track(sub.unsubscribe(prefix + channel));
      };
    },

    async settled() {
      if (pending.size === 0 || sub.status !== "ready") return;
      await withTimeout(Promise.all([...pending]), SETTLE_TIMEOUT_MS, "").catch(() => undefined);
    },

    onResync(listener) {
      resyncListeners.add(listener);
      return () => resyncListeners.delete(listener);
    },

    connected() {
      return !closed && pub.status === "ready" && sub.status === "ready";
    },

    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(resyncTimer);
      handlers.clear();
      resyncListeners.clear();
      await Promise.all(
        [pub, sub].map(async (connection) => {
          if (connection.status === "ready") {
            await withTimeout(connection.quit(), 1_000, "").catch(() => undefined);
          }
          connection.disconnect();
        }),
      );
    },
  };
}

/** Rejects with `message` when `promise` has not settled within `ms`. */
function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
