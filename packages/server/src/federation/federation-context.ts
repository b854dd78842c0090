import type { TSchema } from "@sinclair/typebox";
import type { ServiceContext } from "../services/context.js";
import type { Services } from "../services/services.js";

/**
 * How this server calls another one's federation API: signed requests (RFC 9421), validated answers
 * (see `federation-client.ts`).
 */
export interface FederationCaller {
  /**
   * Sends a signed request to `server` and returns its validated answer.
   *
   * @param path the route, starting with FEDERATION_PREFIX
   * @throws VollyError: the other server's typed error, VOLLY_E_FEDERATION_BLOCKED,
   *   VOLLY_E_FEDERATION_UNREACHABLE (network, timeout, invalid answer)
   */
  request<T>(
    server: string,
    method: "GET" | "POST",
    path: string,
    options: { body?: unknown; query?: Record<string, string | number>; response: TSchema },
  ): Promise<T>;
  /**
   * Sends a signed GET to `server` and streams its 2xx body to `file` (at most `maxBytes` bytes).
   * @returns the bytes written
   * @throws as {@link request}; VOLLY_E_FEDERATION_UNREACHABLE (reason "too-large")
   */
  download(server: string, path: string, file: string, maxBytes: number): Promise<number>;
}

/** What every federation part is built from. */
export interface FederationContext {
  /** This server's name (host[:port] of its public URL). */
  serverName: string;
  /** The server's services (the federation wraps some of their methods, see `follower-relay.ts`). */
  services: Services;
  /** Store, bus, clock and log of the services. */
  service: ServiceContext;
  /** Calls to other servers. */
  caller: FederationCaller;
  /** Federation health per remote server (`volly_federation_*`); optional in tests. */
  metrics?: { lag(server: string, seconds: number): void };
  /** Warnings (ids, server names and codes only). */
  log: { warn(fields: object, msg: string): void; error(fields: object, msg: string): void };
}
