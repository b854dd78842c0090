/**
 * The bus fans out notifications to gateway sessions: in-process on one node, Redis pub/sub across
 * nodes (the scaled shape). Durable ones ("something new is stored") carry ids and sequence numbers,
 * and an appended application message may carry its stored entry (the end-to-end encrypted MLS
 * ciphertext the store holds, nothing more) so receivers that are up to date dispatch it without
 * reading the store; everyone else reads the store, and publishers publish only after their
 * transaction has committed, so a receiver always finds what a message points to. The store is
 * the source of truth: a lost notification delays delivery until the next one or a resync (see
 * {@link Bus.onResync}), it never loses a message. Ephemeral ones (presence, typing) carry the whole
 * event and are never stored. Every message is plain JSON so a Redis bus can serialise it as is.
 */
import type { GroupMessageEvent } from "@volly/protocol";
import type { LogKind } from "../store/types.js";

/** A group's log grew: entries up to `seq` are durable. */
export interface GroupAppendedMessage {
  type: "group-appended";
  groupId: string;
  seq: number;
  /** Kind of the entry at `seq`; commits and departures change who is in the group. */
  kind: LogKind;
  /**
   * The entry at `seq` as dispatched (GROUP_MESSAGE payload), for application messages: a
   * receiver that has dispatched everything up to `seq - 1` sends it as is (one serialisation for
   * all of them) instead of reading the store.
   */
  entry?: GroupMessageEvent;
}

/** A Welcome was stored in a device's inbox. */
export interface WelcomeMessage {
  type: "welcome";
  deviceId: string;
  welcomeId: string;
  groupId: string;
}

/**
 * One node's view of an account's presence (on {@link PRESENCE_CHANNEL}): the status derived from
 * that node's gateway connections of the account. Receivers combine the views of every node: online
 * if any node says online, away if all that say anything say away, offline when none does.
 */
export interface PresenceMessage {
  type: "presence";
  /** The publishing node (random per process). */
  nodeId: string;
  accountId: string;
  handle: string;
  /** "offline" when the node has no connection of the account left. */
  status: "online" | "away" | "offline";
}

/** Most views one {@link PresenceRefreshMessage} carries. */
export const PRESENCE_REFRESH_MAX_VIEWS = 500;

/**
 * One node's periodic republication of its non-offline views (on {@link PRESENCE_CHANNEL}): the
 * same as one {@link PresenceMessage} per view, batched so that a node holding N accounts sends
 * ⌈N / {@link PRESENCE_REFRESH_MAX_VIEWS}⌉ messages per refresh interval instead of N.
 */
export interface PresenceRefreshMessage {
  type: "presence-refresh";
  /** The publishing node (random per process). */
  nodeId: string;
  /** 1 to {@link PRESENCE_REFRESH_MAX_VIEWS} views; never "offline" (a refresh only keeps views alive). */
  views: { accountId: string; handle: string; status: "online" | "away" }[];
}

/** A device is typing in a group (on the group's channel; ephemeral, never stored). */
export interface TypingMessage {
  type: "typing";
  groupId: string;
  accountId: string;
  handle: string;
  deviceId: string;
  /** When the server accepted the TYPING frame (ms since the Unix epoch). */
  at: number;
}

/**
 * A device became a member of a group without a Welcome — it created the group — from `joinedSeq`
 * on (on the device's channel), so its live sessions start following the group.
 */
export interface GroupJoinedMessage {
  type: "group-joined";
  deviceId: string;
  groupId: string;
  joinedSeq: number;
}

/**
 * A device link of the device's account was claimed (on the channel of each of the account's
 * devices): its live sessions dispatch DEVICE_LINK_CLAIMED so the creator can check the proof.
 */
export interface DeviceLinkClaimedMessage {
  type: "device-link-claimed";
  deviceId: string;
  linkId: string;
  signaturePublicKey: string;
  name: string;
  proof: string;
}

/** The device was revoked (on its channel): its live gateway connections close with 4010. */
export interface DeviceRevokedMessage {
  type: "device-revoked";
  deviceId: string;
}

/** Every message the bus carries. */
export type BusMessage =
  | GroupAppendedMessage
  | WelcomeMessage
  | GroupJoinedMessage
  | PresenceMessage
  | PresenceRefreshMessage
  | TypingMessage
  | DeviceLinkClaimedMessage
  | DeviceRevokedMessage;

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

/** The channel of a device's Welcome inbox and new groups: `device:<deviceId>`. */
export function deviceChannel(deviceId: string): string {
  return `device:${deviceId}`;
}
