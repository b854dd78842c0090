import { isIP } from "node:net";
import { VollyError } from "@volly/protocol";

/** Where the daemon's HTTP API listens. */
export interface ListenAddress {
  host: string;
  port: number;
}

/** True for 127.0.0.0/8, ::1 and `localhost`. */
export function isLoopback(host: string): boolean {
  if (host === "localhost" || host === "::1") return true;
  return isIP(host) === 4 && host.startsWith("127.");
}

/**
 * Parses `--http HOST:PORT` (`127.0.0.1:8787`, `[::1]:8787`, `localhost:0` for any free port).
 * A host that is not loopback is refused unless `allowRemote` (`--allow-non-loopback`): the API
 * hands out plaintext and must stay on this machine.
 *
 * @throws VOLLY_E_USAGE for a malformed address, a port outside 0–65535, or a non-loopback host
 */
export function parseListenAddress(value: string, allowRemote: boolean): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (!m || !host || port > 65_535) {
    throw new VollyError("VOLLY_E_USAGE", `--http takes HOST:PORT (e.g. 127.0.0.1:8787), got ${value}`);
  }
  if (host !== "localhost" && isIP(host) === 0) {
    throw new VollyError("VOLLY_E_USAGE", `--http needs an IP address or localhost, got ${host}`);
  }
  if (!isLoopback(host) && !allowRemote) {
    throw new VollyError(
      "VOLLY_E_USAGE",
      `--http ${value} is not a loopback address: the daemon serves plaintext, so it binds to ` +
        "127.0.0.1 or ::1. Pass --allow-non-loopback to bind elsewhere (behind your own TLS and firewall).",
    );
  }
  return { host, port };
}
