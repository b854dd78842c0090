import type { DispatchEventName, DispatchPayload, VollyError } from "@volly/protocol";
import type { FastifyBaseLogger } from "fastify";
import type { Bus } from "../bus/bus.js";
import type { Metrics } from "../metrics.js";
import type { AuthContext } from "../services/context.js";
import type { Services } from "../services/services.js";
import type { AckBuffer } from "./ack-buffer.js";
import type { ConnectionPresence } from "./connection-presence.js";
import type { DeliveryPump } from "./delivery-pump.js";
import type { PresenceTracker } from "./presence-tracker.js";
import type { RateGate } from "./rate-gate.js";
import type { SendBudget } from "./send-budget.js";
import type { GatewaySession, SessionHolder, SessionRegistry } from "./session-registry.js";

/** What every gateway connection of a node shares. */
export interface GatewayDeps {
  services: Services;
  bus: Bus;
  registry: SessionRegistry;
  /** This node's presence bookkeeping. */
  presence: PresenceTracker;
  heartbeatIntervalMs: number;
  /**
   * How long a connection may stay unauthenticated after HELLO (ms): without a successful IDENTIFY
   * or RESUME by then it gets ERROR VOLLY_E_IDENTIFY_TIMEOUT and close 4011, heartbeats or not.
   */
  identifyTimeoutMs: number;
  log: FastifyBaseLogger;
  /** Where dispatches and live delivery latency are counted; optional in tests. */
  metrics?: Pick<Metrics, "dispatched" | "deliveryLatency">;
  /** Clock (ms since the Unix epoch) for the delivery latency; default `Date.now`. */
  now?: () => number;
  /** Where ACKs are collected and written together. */
  acks: AckBuffer;
  /** The per-account budget SENDs are charged to (messages and bytes); none when rate limits are off. */
  sendBudget?: SendBudget;
}

/**
 * One connection's state and the operations its op handlers (`gateway/ops/`) use. The connection
 * (`connection.ts`) owns it and changes the fields; handlers read them.
 */
export interface ConnectionContext {
  readonly deps: GatewayDeps;
  /** The nonce sent in HELLO, which IDENTIFY and RESUME sign. */
  readonly nonce: string;
  /** The authenticated session; undefined until READY/RESUMED. */
  readonly session: GatewaySession | undefined;
  /** Delivery of the device's groups; undefined until READY/RESUMED. */
  readonly pump: DeliveryPump | undefined;
  /** The device's presence on this connection; undefined until READY/RESUMED. */
  readonly presence: ConnectionPresence | undefined;
  /** This connection's SENDs waiting for their commit (at most `ops/send.ts` MAX_SENDS_IN_FLIGHT). */
  sendsPending: number;
  /** Relays at most one TYPING per group per interval. */
  readonly typingGate: RateGate;
  /** What the session registry calls when this connection's session is resumed elsewhere. */
  readonly holder: SessionHolder;
  /** True once the socket has closed. */
  readonly closed: boolean;
  /** Sends a text frame; false when the socket is no longer open. */
  send(text: string): boolean;
  /** Sends an ERROR frame carrying `error`'s body. */
  sendError(error: VollyError): boolean;
  /** Sends an ERROR frame, then closes with the error's close code (RFC 6455 §7.4). */
  fail(error: VollyError): void;
  /** Sends a DISPATCH with the session's next sequence number; false before READY or once closed. */
  dispatch<T extends DispatchEventName>(t: T, d: DispatchPayload<T>): boolean;
  /**
   * Verifies a signature over the HELLO nonce (`signingInput.identify`) by `deviceId`'s key. On a
   * typed failure (bad signature, unknown or revoked device, an unusable API key, a key without the
   * `read` scope deliveries need, a key-bound device without a key) it sends the error, closes the
   * connection with its close code and resolves undefined.
   */
  verify(deviceId: string, signature: string, apiKey?: string): Promise<AuthContext | undefined>;
  /**
   * Starts an authenticated session: `session` becomes the connection's, `event` (READY or RESUMED)
   * is dispatched with `payload`, then presence, the backlog and live delivery start.
   */
  begin<T extends "READY" | "RESUMED">(
    session: GatewaySession,
    device: AuthContext,
    event: T,
    payload: DispatchPayload<T>,
  ): Promise<void>;
}
