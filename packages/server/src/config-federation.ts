import { SERVER_NAME_PATTERN } from "@volly/protocol";
import { envReader, usage } from "./config-env.js";

/**
 * Federation settings (`docs/architecture.md` "Federation"): this server's public URL and name, which
 * servers it federates with, where its signing key is, and how many requests each other server may
 * send it.
 */
export interface FederationConfig {
  /** This server's public origin, `http(s)://host[:port]` without a path (VOLLY_PUBLIC_URL), normalized. */
  publicUrl?: string;
  /** This server's name, `host[:port]` of {@link publicUrl} ({@link serverNameOf}); set with it. */
  serverName?: string;
  /** Only these servers, when any are listed (VOLLY_FEDERATION_ALLOW, comma-separated). */
  allow: string[];
  /** Never these servers; wins over {@link allow} (VOLLY_FEDERATION_BLOCK, comma-separated). */
  block: string[];
  /** The server signing key file (VOLLY_FEDERATION_KEY_FILE); created on first start when missing. */
  keyFile?: string;
  /** Requests each remote server may send per minute, 1–1,000,000 (VOLLY_FEDERATION_REQUESTS_PER_MINUTE). */
  requestsPerMinute: number;
  /**
   * How often mirrored groups catch up with their hubs and pending Welcomes are retried (ms), 100–600,000
   * (VOLLY_FEDERATION_POLL_MS). Default {@link DEFAULT_FEDERATION_POLL_MS}.
   */
  pollIntervalMs: number;
}

/** Default {@link FederationConfig.pollIntervalMs}: 2 s. */
export const DEFAULT_FEDERATION_POLL_MS = 2_000;

/** Default {@link FederationConfig.requestsPerMinute}: 100 per second and remote server. */
export const DEFAULT_FEDERATION_REQUESTS_PER_MINUTE = 6000;
/** Largest {@link FederationConfig.requestsPerMinute}. */
export const MAX_FEDERATION_REQUESTS_PER_MINUTE = 1_000_000;
/** Most servers VOLLY_FEDERATION_ALLOW or VOLLY_FEDERATION_BLOCK may list. */
export const MAX_FEDERATION_LIST = 10_000;

const SERVER_NAME = new RegExp(SERVER_NAME_PATTERN);

/**
 * The server name of a public URL: its host, lower-cased, with the port when the URL names one
 * other than the scheme's default (`https://A.example:8443` → `a.example:8443`; `https://a.example:443`
 * → `a.example`).
 *
 * @param publicUrl an `http://` or `https://` origin: no credentials, path, query or fragment
 * @throws VollyError VOLLY_E_USAGE naming VOLLY_PUBLIC_URL when it is not such an origin or its host
 *   is not a valid server name (`SERVER_NAME_PATTERN`: IPv6 literals are not)
 */
export function serverNameOf(publicUrl: string): string {
  return parsePublicUrl(publicUrl).serverName;
}

function parsePublicUrl(value: string): { origin: string; serverName: string } {
  const bad = () =>
    usage(
      "VOLLY_PUBLIC_URL must be an http:// or https:// origin without a path, e.g. https://chat.example.",
      {
        VOLLY_PUBLIC_URL: value.slice(0, 300),
      },
    );
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw bad();
  }
  if (
    (url.protocol !== "http:" && url.protocol !== "https:") ||
    url.username !== "" ||
    url.password !== "" ||
    url.pathname !== "/" ||
    url.search !== "" ||
    url.hash !== "" ||
    /[?#]/.test(value) ||
    !/^https?:\/\/[^/]+\/?$/i.test(value)
  ) {
    throw bad();
  }
  const serverName = url.host.toLowerCase();
  if (serverName.length > 261 || !SERVER_NAME.test(serverName)) throw bad();
  return { origin: url.origin, serverName };
}

function serverList(name: string, value: string | undefined): string[] {
  if (value === undefined) return [];
  const names = value
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== "");
  if (names.length > MAX_FEDERATION_LIST) {
    throw usage(`${name} may list at most ${MAX_FEDERATION_LIST} servers.`);
  }
  for (const server of names) {
    if (server.length > 261 || !SERVER_NAME.test(server)) {
      throw usage(`${name} must list server names (host or host:port), comma-separated.`, {
        [name]: server.slice(0, 300),
      });
    }
  }
  return [...new Set(names)];
}

/**
 * Reads the federation settings: VOLLY_PUBLIC_URL (an http(s) origin; the server name is its host,
 * {@link serverNameOf}), VOLLY_FEDERATION_ALLOW and VOLLY_FEDERATION_BLOCK (comma-separated server
 * names, lower-cased, each matching `SERVER_NAME_PATTERN`), VOLLY_FEDERATION_KEY_FILE and
 * VOLLY_FEDERATION_REQUESTS_PER_MINUTE (integer 1–1,000,000, default
 * {@link DEFAULT_FEDERATION_REQUESTS_PER_MINUTE}), VOLLY_FEDERATION_POLL_MS. Empty values are ignored.
 *
 * @param env environment variables (usually `process.env`)
 * @throws VollyError VOLLY_E_USAGE naming the variable whose value is invalid
 */
export function parseFederationConfig(env: Record<string, string | undefined>): FederationConfig {
  const read = envReader(env);
  const publicUrl = read("VOLLY_PUBLIC_URL");
  const keyFile = read("VOLLY_FEDERATION_KEY_FILE");
  const rate = read("VOLLY_FEDERATION_REQUESTS_PER_MINUTE");
  let requestsPerMinute = DEFAULT_FEDERATION_REQUESTS_PER_MINUTE;
  if (rate !== undefined) {
    requestsPerMinute = /^\d{1,7}$/.test(rate) ? Number(rate) : Number.NaN;
    if (
      !Number.isInteger(requestsPerMinute) ||
      requestsPerMinute < 1 ||
      requestsPerMinute > MAX_FEDERATION_REQUESTS_PER_MINUTE
    ) {
      throw usage(
        `VOLLY_FEDERATION_REQUESTS_PER_MINUTE must be an integer from 1 to ${MAX_FEDERATION_REQUESTS_PER_MINUTE}.`,
        { VOLLY_FEDERATION_REQUESTS_PER_MINUTE: rate.slice(0, 100) },
      );
    }
  }
  const poll = read("VOLLY_FEDERATION_POLL_MS");
  const pollIntervalMs =
    poll === undefined ? DEFAULT_FEDERATION_POLL_MS : /^\d{3,6}$/.test(poll) ? Number(poll) : 0;
  if (pollIntervalMs < 100 || pollIntervalMs > 600_000) {
    throw usage("VOLLY_FEDERATION_POLL_MS must be an integer from 100 to 600000 (ms).", {
      VOLLY_FEDERATION_POLL_MS: (poll ?? "").slice(0, 100),
    });
  }
  const parsed = publicUrl === undefined ? undefined : parsePublicUrl(publicUrl);
  return {
    ...(parsed ? { publicUrl: parsed.origin, serverName: parsed.serverName } : {}),
    allow: serverList("VOLLY_FEDERATION_ALLOW", read("VOLLY_FEDERATION_ALLOW")),
    block: serverList("VOLLY_FEDERATION_BLOCK", read("VOLLY_FEDERATION_BLOCK")),
    ...(keyFile !== undefined ? { keyFile } : {}),
    requestsPerMinute,
    pollIntervalMs,
  };
}
