import type { Listeners } from "../shared/listeners.js";

/** A member device this device has a direct path to right now. */
export interface DirectPeer {
  /** Its device id (authenticated by its MLS credential). */
  deviceId: string;
  /** Its account id. */
  accountId: string;
  /** Its account's handle. */
  handle: string;
  /** How the path was signaled: on the LAN (mDNS and rendezvous), or through the server. */
  via: "lan" | "server";
  /** Since when (ms since the Unix epoch). */
  since: number;
}

/** The direct paths a running client of the profile had open (`DirectPaths.recorded`). */
export interface DirectPeersRecord {
  /** When it wrote this (ms since the Unix epoch). */
  at: number;
  /** Whether that client is still running (false once it closed: then `peers` is empty). */
  running: boolean;
  peers: DirectPeer[];
}

/** Counts of what went over direct paths since the client opened. */
export interface DirectCounts {
  /** Message frames sent (own and relayed). */
  sent: number;
  /** Message frames received. */
  received: number;
  /** Messages stored from a direct path before the server's copy. */
  firstDirect: number;
  /** Message frames relayed on for other devices. */
  relayed: number;
  /** Frames dropped as malformed, from a non-member, or seen before. */
  dropped: number;
}

/**
 * Direct paths between member devices (`client.direct`; DESIGN.md "P2P and federation"): WebRTC
 * data channels signaled inside MLS that carry the same application message ciphertexts as the
 * server's log, so they arrive at once — and without a server, on a LAN. Transparent: the server's
 * copy still goes out, and the copy that arrives second is dropped by message id. Inert unless the
 * client was opened with a peer factory (`VollyClientOptions.direct`).
 */
export interface DirectPaths {
  /** Whether this client can open direct paths at all (a peer factory was given). */
  readonly enabled: boolean;
  /** The devices with an open direct path, oldest first. */
  peers(): DirectPeer[];
  /** Whether `deviceId` has an open direct path. */
  connectedTo(deviceId: string): boolean;
  /** Fires with {@link peers} whenever a path opens or closes. */
  readonly changes: Listeners<DirectPeer[]>;
  /**
   * Offers direct paths to the conversation's other member devices that are connected to the server
   * right now (a `p2p.hello` relayed by the server as ephemeral MLS content); those that can answer
   * with WebRTC offers. Resolves once the hello is sent, not when paths open (see {@link changes}).
   *
   * @throws VollyError VOLLY_E_USAGE when direct paths are not enabled; the errors of sending
   *   ephemeral content (VOLLY_E_UNKNOWN_CONVERSATION, VOLLY_E_NOT_GROUP_MEMBER, …)
   */
  offer(conversationId: string): Promise<void>;
  /** What went over direct paths so far. */
  counts(): DirectCounts;
  /**
   * What the client of this profile that runs direct paths (e.g. `volly daemon --direct`) last
   * recorded of its paths — for another process of the same profile, such as `volly status`.
   * Undefined when no such client ever ran.
   */
  recorded(): Promise<DirectPeersRecord | undefined>;
}
