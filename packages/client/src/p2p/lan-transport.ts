import type { Listeners } from "../shared/listeners.js";
import type { LanPeerSighting } from "./lan-discovery.js";
import type { LanFrame } from "./lan-rendezvous.js";

/** Another device's announcement seen on the LAN (DNS-SD, RFC 6763; see `LanDiscovery`). */
export type LanPeerSeen = LanPeerSighting;
export type { LanFrame };

/**
 * Discovery and signaling on the LAN without a server (Node; issue 17): this device announces its
 * conversation tags and a rendezvous port by mDNS/DNS-SD (RFC 6762, RFC 6763), sees other devices'
 * announcements, and exchanges MLS-sealed signaling frames with them over TCP.
 */
export interface LanTransport {
  /** This device's random instance name. */
  readonly instance: string;
  /** The TCP port of its rendezvous. */
  readonly rendezvousPort: number;
  /** Announcements of other devices. */
  readonly seen: Listeners<LanPeerSeen>;
  /** Rendezvous frames received. */
  readonly frames: Listeners<LanFrame>;
  /** Announces these tags from now on (16 hex characters each). */
  setTags(tags: string[]): void;
  /**
   * Sends one rendezvous frame to another device.
   *
   * @throws VollyError VOLLY_E_PEER_UNREACHABLE when it cannot be delivered
   */
  send(host: string, port: number, bytes: Uint8Array): Promise<void>;
  /** Stops announcing and listening (idempotent). */
  stop(): Promise<void>;
}
