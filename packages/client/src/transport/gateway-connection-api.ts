import type { VollyError } from "@volly/protocol";
import type { Listeners } from "../shared/listeners.js";

/**
 * The gateway connection's state as shown to users: "connecting" (first attempt), "connected"
 * (session ready), "reconnecting" (after a drop, with backoff), "offline" (stopped by the server:
 * this device is revoked or refused), "closed" (stopped by {@link GatewayConnection.stop}).
 * "offline" is also the state before the first {@link GatewayConnection.start}.
 */
export type ConnectionState = "connecting" | "connected" | "reconnecting" | "offline" | "closed";

/**
 * `client.connection`: this device's WebSocket session with the server's gateway, which delivers
 * messages and events as they happen and carries sends, presence and typing. It reconnects on its
 * own after any drop, with exponential backoff and jitter (`reconnectDelayMs`), moving to the next
 * server URL when the deployment has several; it stops only when told to or when the server
 * refuses this device. Nothing is lost across a reconnection: delivery resumes from what this
 * device acknowledged.
 */
export interface GatewayConnection {
  /** The current state. */
  readonly state: ConnectionState;
  /** The gateway URL in use (or being tried) now, e.g. `wss://chat.example/v1/gateway`. */
  readonly url: string;
  /** Fires on every state change, with the new state. */
  readonly stateChanges: Listeners<ConnectionState>;
  /**
   * Fires for each error the server reports on the session, and when the connection stops for
   * good: VOLLY_E_DEVICE_REVOKED (this device was revoked), VOLLY_E_UNKNOWN_DEVICE,
   * VOLLY_E_BAD_SIGNATURE (the server refuses this device; the connection stops), or a session
   * error such as VOLLY_E_RATE_LIMITED.
   */
  readonly errors: Listeners<VollyError>;

  /**
   * Starts connecting, and keeps reconnecting until {@link GatewayConnection.stop} (a call while
   * started does nothing). `VollyClient.connect` calls it and also waits for the backlog.
   */
  start(): void;

  /**
   * Closes the connection and stops reconnecting (state "closed"); resolves once the deliveries
   * already received are processed. `start` connects again.
   */
  stop(): Promise<void>;
}
