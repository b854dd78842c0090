import {
  FEDERATION_PREFIX,
  type FederatedPresence,
  FederationEmpty,
  MAX_FEDERATED_PRESENCE_VIEWS,
  type VollyError,
} from "@volly/protocol";
import { PRESENCE_CHANNEL } from "../bus/bus.js";
import type { BusMessage } from "../bus/messages.js";
import type { FederationContext } from "./federation-context.js";

/** How long an account's destination servers are reused before they are read again (ms). */
const DESTINATIONS_TTL_MS = 5_000;
/** How long views wait to be sent together (ms). */
const BATCH_MS = 200;

type View = FederatedPresence["views"][number];

/**
 * Presence across servers. To this server's presence trackers another server is one more node: its
 * views arrive as presence bus messages from node `fed:<server>` and expire, like a node's, when not
 * repeated within the presence TTL. Outgoing: every view this server's nodes publish of a local
 * account (on change, and each refresh interval) goes to the servers of the accounts that share a
 * conversation with it, batched per server every 200 ms. An invisible account is sent as offline.
 */
export interface PresenceBridge {
  /** Starts forwarding this server's views. */
  start(): void;
  /** Stops it. */
  stop(): void;
  /**
   * Publishes the views `origin` sent (each must be of an account homed there; others are skipped)
   * on this server's presence channel.
   */
  receive(origin: string, presence: FederatedPresence): Promise<void>;
}

/** Builds the {@link PresenceBridge}. */
export function createPresenceBridge(ctx: FederationContext): PresenceBridge {
  const { store, bus, now } = ctx.service;
  const destinations = new Map<string, { servers: string[]; at: number }>();
  const outbox = new Map<string, Map<string, View>>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let unsubscribe: (() => void) | undefined;

  /** The servers (not this one) of the accounts that share a conversation with a local `accountId`. */
  const serversFor = async (accountId: string): Promise<string[]> => {
    const cached = destinations.get(accountId);
    if (cached && now() - cached.at < DESTINATIONS_TTL_MS) return cached.servers;
    let servers: string[] = [];
    if (!(await store.federation.findRemoteAccount(accountId))) {
      const homes = new Set<string>();
      for (const peer of await store.groups.listPeerAccounts(accountId)) {
        const remote = await store.federation.findRemoteAccount(peer.accountId);
        if (remote) homes.add(remote.server);
      }
      servers = [...homes];
    }
    if (destinations.size > 50_000) destinations.clear();
    destinations.set(accountId, { servers, at: now() });
    return servers;
  };

  const flush = () => {
    timer = undefined;
    const batches = [...outbox];
    outbox.clear();
    for (const [server, views] of batches) {
      const all = [...views.values()];
      for (let i = 0; i < all.length; i += MAX_FEDERATED_PRESENCE_VIEWS) {
        ctx.caller
          .request(server, "POST", `${FEDERATION_PREFIX}/presence`, {
            body: { views: all.slice(i, i + MAX_FEDERATED_PRESENCE_VIEWS) },
            response: FederationEmpty,
          })
          .catch((error: unknown) =>
            ctx.log.warn({ server, code: (error as VollyError).code }, "federation: presence not delivered"),
          );
      }
    }
  };

  const queue = async (view: View) => {
    for (const server of await serversFor(view.accountId)) {
      let views = outbox.get(server);
      if (!views) {
        views = new Map();
        outbox.set(server, views);
      }
      views.set(view.accountId, view);
    }
    if (outbox.size > 0 && !timer) {
      timer = setTimeout(flush, BATCH_MS);
      timer.unref?.();
    }
  };

  const outgoing = (
    accountId: string,
    status: View["status"],
    chosen: { status: string; text?: string; until?: number; setAt: number } | undefined,
  ): View =>
    chosen?.status === "invisible"
      ? { accountId, status: "offline" }
      : { accountId, status, ...(chosen ? { chosen: chosen as View["chosen"] & object } : {}) };

  const onMessage = (message: BusMessage) => {
    const views: View[] = [];
    if (message.type === "presence" && !message.nodeId.startsWith("fed:")) {
      views.push(outgoing(message.accountId, message.status, message.chosen));
    } else if (message.type === "presence-refresh" && !message.nodeId.startsWith("fed:")) {
      for (const v of message.views) views.push(outgoing(v.accountId, v.status, v.chosen));
    }
    for (const view of views) {
      queue(view).catch((error: unknown) =>
        ctx.log.error({ err: String(error) }, "federation: presence destinations failed"),
      );
    }
  };

  return {
    start() {
      unsubscribe ??= bus.subscribe(PRESENCE_CHANNEL, onMessage);
    },
    stop() {
      unsubscribe?.();
      unsubscribe = undefined;
      clearTimeout(timer);
    },
    async receive(origin, { views }) {
      for (const view of views) {
        const remote = await store.federation.findRemoteAccount(view.accountId);
        if (remote?.server !== origin) continue;
        const account = await store.accounts.findById(view.accountId);
        if (!account) continue;
        bus.publish(PRESENCE_CHANNEL, {
          type: "presence",
          nodeId: `fed:${origin}`,
          accountId: view.accountId,
          handle: account.handle,
          status: view.status,
          ...(view.chosen ? { chosen: view.chosen } : {}),
        });
      }
    },
  };
}
