/**
 * The bus fans out notifications to gateway sessions: in-process on one node, Redis pub/sub across
 * nodes (the scaled shape). Durable ones ("something new is stored") carry ids and sequence numbers,
 * and an appended application message may carry its stored entry (the end-to-end encrypted MLS
 * ciphertext the store holds, nothing more) so receivers that are up to date dispatch it without
 * reading the store; everyone else reads the store, and publishers publish only after their
 * transaction has committed, so a receiver always finds what a message points to. The store is
 * the source of truth: a lost notification delays delivery until the next one or a resync (see
 * {@link Bus.onResync}), it never loses a message. Ephemeral ones (presence, typing) carry the whole
 * event and are never stored. Every message is plain JSON so a Redis bus can serialise it as is; the
 * messages are declared as schemas in `messages.ts`.
 */
import type { BusMessage } from "./messages.js";

/** Receives bus messages of one channel. Must not throw; errors are the handler's to handle. */
export type BusHandler = (message: BusMessage) => void;

/** Publish/subscribe by channel name (see {@link groupChannel}, {@link deviceChannel}). */
export interface Bus {
  /**
   * Delivers `message` to every current subscriber of `channel` on every node (asynchronously, never
   * re-entrantly). Best effort: failures are counted by the bus, never thrown.
   */
  publish(channel: string, message: BusMessage): void;
  /** Subscribes `handler` to `channel`; returns the function that unsubscribes it. */
  subscribe(channel: string, handler: BusHandler): () => void;
  /**
   * Resolves once every subscription made so far receives messages published from now on (a Redis
   * SUBSCRIBE is acknowledged). Await it between subscribing and reading the store, so nothing
   * committed after the read can be missed. Resolves at once while the transport is down (the
   * {@link onResync} after its recovery covers that gap); never rejects.
   */
  settled(): Promise<void>;
  /**
   * Registers `listener` to be called when messages may have been lost (the connection to Redis
   * dropped and came back, here or on another node): every subscriber should re-read the store.
   * Never called by the in-process bus. Returns the function that unregisters it.
   */
  onResync(listener: () => void): () => void;
  /** True while the transport is up (always, in process): for health checks. */
  connected(): boolean;
  /** Drops every subscription; later publishes are ignored. */
  close(): Promise<void>;
}

/** The channel of a group's log and typing notifications: `group:<groupId>`. */
export function groupChannel(groupId: string): string {
  return `group:${groupId}`;
}

/** The single channel of presence messages (every node subscribes once). */
export const PRESENCE_CHANNEL = "presence";

/** The single channel of voice channel state and rooms (every node subscribes once; `services/voice/`). */
export const VOICE_CHANNEL = "voice";

/** The channel of a device's Welcome inbox and new groups: `device:<deviceId>`. */
export function deviceChannel(deviceId: string): string {
  return `device:${deviceId}`;
}
