/**
 * Whether a WebSocket upgrade's `Origin` (RFC 6454; RFC 6455 §10.2) may open the gateway: allowed
 * when there is none (non-browser clients: the CLI, bots, the SDK in Node), when it is the server's
 * own — its host (and port) equal the request's `Host` (behind a trusted proxy, `X-Forwarded-Host`),
 * whatever the scheme, since TLS may end in front of the server — or when it is in `allowed`.
 * Anything else, `null` (sandboxed frames, files) and unparseable values included, is refused.
 *
 * @param origin the request's `Origin` header
 * @param host the request's host (`host[:port]`)
 * @param allowed extra origins, normalised as `scheme://host[:port]` (ServerConfig.allowedOrigins)
 */
export function isAllowedOrigin(
  origin: string | undefined,
  host: string | undefined,
  allowed: ReadonlySet<string>,
): boolean {
  if (origin === undefined) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return false;
  if (host !== undefined && url.host === hostOf(host)) return true;
  return allowed.has(url.origin);
}

/** A Host header as URL.host spells it (lower-case, default port dropped); undefined when invalid. */
function hostOf(host: string): string | undefined {
  try {
    const url = new URL(`http://${host}`);
    // Either scheme's default port may be left out of Host; URL drops only http's.
    return url.port === "443" ? url.hostname : url.host;
  } catch {
    return undefined;
  }
}
