import { VollyError } from "@volly/protocol";
import { LanDiscovery } from "./lan-discovery.js";
import { LanRendezvous, sendRendezvousFrame } from "./lan-rendezvous.js";
import type { LanTransport } from "./lan-transport.js";

/** Options of {@link startLanTransport}. */
export interface LanTransportOptions {
  /** Where the rendezvous listens (default "0.0.0.0": every IPv4 interface). */
  host?: string;
  /** Re-announce every this many ms (default 20,000; see `LanDiscovery`). */
  announceEveryMs?: number;
  /** Query for other devices every this many ms (default 20,000). */
  queryEveryMs?: number;
  /** The IPv4 interface addresses to use (default: every non-internal one). */
  interfaces?: () => string[];
}

/**
 * Starts LAN discovery and signaling for direct paths (Node; issue 17): a rendezvous TCP port for
 * MLS-sealed signaling frames, announced with this device's conversation tags by mDNS/DNS-SD
 * (RFC 6762, RFC 6763) on every IPv4 interface. Pass it as `VollyClientOptions.direct.lan`; the
 * client stops it when it closes.
 *
 * @throws Error when the rendezvous cannot listen or the mDNS sockets cannot be opened
 */
export async function startLanTransport(options: LanTransportOptions = {}): Promise<LanTransport> {
  const rendezvous = new LanRendezvous();
  const port = await rendezvous.listen(options.host ?? "0.0.0.0", 0);
  const discovery = new LanDiscovery({
    port,
    tags: [],
    ...(options.announceEveryMs !== undefined ? { announceEveryMs: options.announceEveryMs } : {}),
    ...(options.queryEveryMs !== undefined ? { queryEveryMs: options.queryEveryMs } : {}),
    ...(options.interfaces ? { interfaces: options.interfaces } : {}),
  });
  try {
    await discovery.start();
  } catch (err) {
    await rendezvous.close();
    throw err;
  }
  let stopped: Promise<void> | undefined;
  return {
    instance: discovery.instanceName,
    rendezvousPort: port,
    seen: discovery.seen,
    frames: rendezvous.frame,
    setTags: (tags) => discovery.setTags(tags),
    async send(host, toPort, bytes) {
      try {
        await sendRendezvousFrame(host, toPort, bytes);
      } catch (err) {
        throw new VollyError(
          "VOLLY_E_PEER_UNREACHABLE",
          `The device at ${host}:${toPort} cannot be reached.`,
          {
            cause: err instanceof VollyError ? err.code : String(err),
          },
        );
      }
    },
    stop() {
      stopped ??= Promise.all([discovery.stop(), rendezvous.close()]).then(() => undefined);
      return stopped;
    },
  };
}
