import type { IceServer } from "@volly/protocol";
import type { HttpApi } from "../transport/http-api.js";

/** Share of the credentials' lifetime after which {@link IceServers.iceServers} fetches new ones. */
const REFRESH_AT_SHARE = 0.8;

/**
 * STUN/TURN servers for calls (`GET /v1/calls/ice-servers`): what `RTCPeerConnection` takes as
 * `RTCConfiguration.iceServers`, TURN entries with short-lived credentials the server minted for
 * this account (TURN REST API, draft-uberti-behave-turn-rest-00). An empty list means the server
 * has none configured: peers connect only where their own addresses reach each other.
 */
export interface IceServers {
  /**
   * The servers, fetched once and reused until 80% of their credentials' lifetime has passed (then
   * fetched again). Pass `{ fresh: true }` before an ICE restart of a long call.
   * @throws VollyError VOLLY_E_SERVER_UNREACHABLE, VOLLY_E_NOT_AUTHENTICATED,
   *   VOLLY_E_API_KEY_SCOPE (a session made with an API key lacking `send`), VOLLY_E_RATE_LIMITED
   */
  iceServers(options?: { fresh?: boolean }): Promise<IceServer[]>;
}

/** {@link IceServers} over the REST route `getIceServers` (CALL_INFRA_ROUTES). */
export class IceServersService implements IceServers {
  private cached: { servers: IceServer[]; refreshAt: number } | undefined;
  private pending: Promise<IceServer[]> | undefined;

  /**
   * @param api the device's REST client
   * @param now the clock (ms since the Unix epoch), default `Date.now`
   */
  constructor(
    private readonly api: HttpApi,
    private readonly now: () => number = Date.now,
  ) {}

  /** The servers, cached until 80% of their credentials' lifetime has passed (see `IceServers`). */
  async iceServers(options: { fresh?: boolean } = {}): Promise<IceServer[]> {
    if (!options.fresh && this.cached && this.now() < this.cached.refreshAt) return this.cached.servers;
    this.pending ??= (async () => {
      try {
        const startedAt = this.now();
        const { iceServers, ttlSeconds } = await this.api.call("getIceServers");
        // No credentials to expire (none, or STUN only): ask again in a minute for a changed config.
        const lifetimeMs = ttlSeconds > 0 ? ttlSeconds * 1000 * REFRESH_AT_SHARE : 60_000;
        this.cached = { servers: iceServers, refreshAt: startedAt + lifetimeMs };
        return iceServers;
      } finally {
        this.pending = undefined;
      }
    })();
    return this.pending;
  }
}
