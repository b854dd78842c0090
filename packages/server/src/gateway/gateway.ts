import { normalizeIP } from "@fastify/rate-limit";
import websocket from "@fastify/websocket";
import { LIMITS, VollyError } from "@volly/protocol";
import type { FastifyInstance } from "fastify";
import type { WebSocket } from "ws";
import type { Bus } from "../bus/bus.js";
import { describeError } from "../describe-error.js";
import type { Metrics } from "../metrics.js";
import type { Services } from "../services/services.js";
import { createAckBuffer } from "./ack-buffer.js";
import { type GatewayConnection, runConnection } from "./connection.js";
import { errorFrame } from "./frames.js";
import { isAllowedOrigin } from "./origin-check.js";
import { createPresenceTracker } from "./presence-tracker.js";
import type { SendBudget } from "./send-budget.js";
import { createSessionRegistry } from "./session-registry.js";
import { createUnauthenticatedConnections } from "./unauthenticated-connections.js";
import { releaseUpgradeRequest } from "./upgrade-release.js";

/** The path of the WebSocket gateway. */
export const GATEWAY_PATH = "/v1/gateway";

/** How long shutdown waits for clients to complete the closing handshake before dropping them (ms). */
const CLOSE_GRACE_MS = 2_000;

/**
 * Registers the WebSocket gateway at `GET /v1/gateway` (@fastify/websocket over `ws`) with
 * permessage-deflate off. Frame sizes (docs/protocol.md "Gateway"): a frame over
 * LIMITS.maxInboundFrameBytes (64 KiB) is refused by `decodeFrame` with an ERROR frame
 * VOLLY_E_FRAME_TOO_LARGE and the connection stays open; ws's `maxPayload` is the hard cap
 * LIMITS.inboundFrameHardCapBytes (256 KiB): a larger frame is never buffered — ws closes the
 * connection with 1009 (RFC 6455 §7.4.1), no ERROR frame. A plain HTTP GET gets 404 VOLLY_E_NOT_FOUND.
 *
 * Before the upgrade completes (answered over HTTP, typed): an `Origin` that is neither the server's
 * own nor in `options.allowedOrigins` gets 403 VOLLY_E_ORIGIN_NOT_ALLOWED (no `Origin` — the CLI,
 * bots — is fine; see `origin-check.ts`), and a client address (IPv6: its /64; behind a trusted
 * proxy the forwarded one) already holding `options.maxUnauthenticatedPerIp` connections that have
 * not authenticated gets 429 VOLLY_E_TOO_MANY_CONNECTIONS (one that slips past the check while
 * another upgrade is in flight gets ERROR VOLLY_E_TOO_MANY_CONNECTIONS and close 4012). A connection
 * counts until it is READY/RESUMED or closed; one not authenticated within
 * `options.identifyTimeoutMs` is closed with VOLLY_E_IDENTIFY_TIMEOUT (4011).
 *
 * Presence (who is connected, online or away) is tracked per node by a presence tracker shared by
 * the node's connections and exchanged with other nodes over the bus.
 *
 * On app close every connection is closed with 1001 and reason VOLLY_E_SHUTTING_DOWN (RFC 6455
 * §7.4.1 "going away"), queued work is awaited, and clients that do not answer the close within
 * 2 s are dropped.
 *
 * When the bus reports that messages may have been lost (Redis reconnected, here or on another
 * node), every connection re-reads the store (see {@link GatewayConnection.resync}) and this node
 * republishes its presence views.
 *
 * @param options.heartbeatIntervalMs announced in HELLO (ms); silence for twice this closes a connection
 * @param options.presence refresh interval and TTL of cross-node presence (ms; see `createPresenceTracker`)
 */
export async function registerGateway(
  app: FastifyInstance,
  options: {
    services: Services;
    bus: Bus;
    heartbeatIntervalMs: number;
    /** How long a connection may stay unauthenticated after HELLO (ms). */
    identifyTimeoutMs: number;
    /** Unauthenticated connections one client address may hold at once. */
    maxUnauthenticatedPerIp: number;
    /** Origins besides the server's own whose pages may connect (normalised `scheme://host[:port]`). */
    allowedOrigins: readonly string[];
    /** The per-account budget SENDs are charged to; none when rate limits are off. */
    sendBudget?: SendBudget;
    now: () => number;
    metrics?: Pick<Metrics, "dispatched" | "deliveryLatency" | "connectionOpened" | "connectionClosed">;
    presence?: { refreshIntervalMs?: number; ttlMs?: number };
  },
): Promise<void> {
  const registry = createSessionRegistry(options.now);
  const presence = createPresenceTracker({
    bus: options.bus,
    now: options.now,
    ...options.presence,
    onError: (error) => app.log.error({ err: describeError(error) }, "presence dispatch failed"),
  });
  const acks = createAckBuffer(options.services.delivery, (error) =>
    app.log.error({ err: describeError(error) }, "gateway ack write failed"),
  );
  const connections = new Set<GatewayConnection>();
  const unauthenticated = createUnauthenticatedConnections(options.maxUnauthenticatedPerIp);
  const allowedOrigins = new Set(options.allowedOrigins);
  const tooMany = () =>
    new VollyError("VOLLY_E_TOO_MANY_CONNECTIONS", undefined, { limit: options.maxUnauthenticatedPerIp });
  const stopResync = options.bus.onResync(() => {
    app.log.info({ connections: connections.size }, "bus resync: re-reading the store");
    presence.republish();
    for (const connection of connections) connection.resync();
  });

  /**
   * A socket's error. Protocol errors (frame over the hard cap → 1009, invalid UTF-8 → 1007, …): ws
   * has already started the closing handshake with the right code. Anything else: drop the socket.
   */
  const onSocketError = (error: Error, socket: WebSocket) => {
    app.log.warn(
      { err: { name: error.name, code: (error as { code?: unknown }).code } },
      "gateway socket error",
    );
    if (socket.readyState === socket.OPEN) socket.terminate();
  };
  await app.register(websocket, {
    options: { maxPayload: LIMITS.inboundFrameHardCapBytes, perMessageDeflate: false },
    errorHandler: (error, socket) => onSocketError(error, socket),
    async preClose() {
      const closing = [...connections];
      for (const connection of closing) connection.close(1001, new VollyError("VOLLY_E_SHUTTING_DOWN").code);
      await Promise.all(closing.map((c) => c.idle()));
      await acks.close();
      const grace = new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref());
      await Promise.race([Promise.all(closing.map((c) => c.closed)), grace]);
      for (const client of app.websocketServer.clients) client.terminate();
      stopResync();
      registry.close();
      presence.close();
      await new Promise<void>((resolve) => app.websocketServer.close(() => resolve()));
    },
  });

  app.route({
    method: "GET",
    url: GATEWAY_PATH,
    // Runs before the upgrade: a refusal is an HTTP answer the browser (or client) can read.
    onRequest: async (request) => {
      if (request.headers.upgrade?.toLowerCase() !== "websocket") return; // a plain GET: 404 below
      if (!isAllowedOrigin(request.headers.origin, request.host, allowedOrigins)) {
        throw new VollyError("VOLLY_E_ORIGIN_NOT_ALLOWED");
      }
      if (!unauthenticated.hasRoom(normalizeIP(request.ip))) throw tooMany();
    },
    handler: async () => {
      throw new VollyError("VOLLY_E_NOT_FOUND", "The gateway accepts WebSocket upgrades only.");
    },
    wsHandler: (socket, request) => {
      const address = normalizeIP(request.ip);
      releaseUpgradeRequest(socket, request, (error) => onSocketError(error, socket));
      if (!unauthenticated.hasRoom(address)) {
        // Another upgrade from this address completed since the check above.
        const error = tooMany();
        socket.send(errorFrame(error.toBody()));
        socket.close(error.closeCode, error.code);
        return;
      }
      const release = unauthenticated.add(address);
      try {
        const connection = runConnection(socket, {
          services: options.services,
          bus: options.bus,
          registry,
          presence,
          heartbeatIntervalMs: options.heartbeatIntervalMs,
          identifyTimeoutMs: options.identifyTimeoutMs,
          log: app.log,
          now: options.now,
          acks,
          ...(options.sendBudget ? { sendBudget: options.sendBudget } : {}),
          ...(options.metrics ? { metrics: options.metrics } : {}),
        });
        connections.add(connection);
        options.metrics?.connectionOpened();
        void connection.authenticated.then(release);
        void connection.closed.then(() => {
          release();
          connections.delete(connection);
          options.metrics?.connectionClosed();
        });
      } catch (error) {
        release();
        app.log.error({ err: describeError(error) }, "gateway connection setup failed");
        socket.terminate();
      }
    },
  });
}
