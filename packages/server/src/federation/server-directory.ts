import {
  FEDERATION_WELL_KNOWN_PATH,
  fromBase64Url,
  matches,
  parseBoundedJson,
  SERVER_NAME_PATTERN,
  ServerDocument,
  VollyError,
} from "@volly/protocol";

/** Default time a fetched {@link ServerDocument} is trusted before it is fetched again (ms). */
export const DEFAULT_DOCUMENT_TTL_MS = 3_600_000;
/** Default time limit of one document fetch (ms). */
export const DEFAULT_DOCUMENT_TIMEOUT_MS = 10_000;
/** Largest server document accepted (bytes). */
export const MAX_DOCUMENT_BYTES = 64 * 1024;
/** A key id a server's cached document does not list triggers a refetch at most this often (ms). */
export const UNKNOWN_KEY_REFETCH_MS = 60_000;
/** How long a failed fetch is remembered, so that requests naming a dead server do not each refetch (ms). */
export const FAILED_FETCH_RETRY_MS = 10_000;
/** How long a failed fetch holds back the key lookup of an incoming request from that server (ms). */
export const INCOMING_RETRY_MS = 1_000;
/** Servers whose documents are cached at most (the least recently fetched are dropped first). */
export const MAX_CACHED_SERVERS = 10_000;

const SERVER_NAME = new RegExp(SERVER_NAME_PATTERN);

/** Where this server learns other servers' federation URLs and keys (their `ServerDocument`s). */
export interface ServerDirectory {
  /**
   * The document of `serverName` (`https://<name>/.well-known/volly-server`), from the cache while
   * it is fresh.
   *
   * @throws VollyError VOLLY_E_FEDERATION_UNREACHABLE (details.server, details.reason) when it cannot
   *   be fetched or is invalid; VOLLY_E_BAD_REQUEST when `serverName` is not a server name
   */
  document(serverName: string): Promise<ServerDocument>;
  /**
   * The 32-byte Ed25519 public key `serverName` publishes under `keyId`, or undefined when its
   * document does not list it (after one refetch, at most once per {@link UNKNOWN_KEY_REFETCH_MS}:
   * the server may have rotated its key).
   *
   * @throws like {@link ServerDirectory.document}
   */
  key(serverName: string, keyId: string): Promise<Uint8Array | undefined>;
  /** Drops everything cached about `serverName` (its next use fetches its document again). */
  forget(serverName: string): void;
}

/**
 * True when `serverName` is a loopback host: `localhost` or an IPv4 address in 127.0.0.0/8, with
 * any port. Such servers are reached over plain http by default (development and tests).
 */
export function isLoopbackServerName(serverName: string): boolean {
  const host = serverName.replace(/:\d+$/, "");
  if (host === "localhost") return true;
  const octets = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return octets?.slice(1).every((o) => Number(o) <= 255) ?? false;
}

/**
 * Reads a response body of at most `maxBytes`, cancelling the stream as soon as it is exceeded.
 *
 * @returns the body bytes, or undefined when it is larger than `maxBytes`
 */
export async function readBodyCapped(response: Response, maxBytes: number): Promise<Uint8Array | undefined> {
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    return undefined;
  }
  if (!response.body) return new Uint8Array();
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

interface Cached {
  document: ServerDocument;
  fetchedAt: number;
}

/**
 * Creates a {@link ServerDirectory}. Documents are fetched with `GET` (no redirects followed, time
 * limited, at most {@link MAX_DOCUMENT_BYTES}) from `https://<name>/.well-known/volly-server`, or
 * `http://` when `allowInsecureHttp(name)`; a document must match `ServerDocument`, name the server
 * asked, and (unless http is allowed for it) give an https `federationUrl`. Valid documents are
 * cached for `ttlMs`; concurrent lookups of one server share one fetch; a failed fetch is remembered
 * for {@link FAILED_FETCH_RETRY_MS}.
 *
 * @param options.fetch the fetch to use, default the global one
 * @param options.now clock, ms since the Unix epoch; default `Date.now`
 * @param options.ttlMs default {@link DEFAULT_DOCUMENT_TTL_MS}
 * @param options.timeoutMs default {@link DEFAULT_DOCUMENT_TIMEOUT_MS}
 * @param options.allowInsecureHttp default {@link isLoopbackServerName}
 */
export function createServerDirectory(
  options: {
    fetch?: typeof fetch;
    now?: () => number;
    ttlMs?: number;
    timeoutMs?: number;
    allowInsecureHttp?: (serverName: string) => boolean;
  } = {},
): ServerDirectory {
  const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  const now = options.now ?? Date.now;
  const ttlMs = options.ttlMs ?? DEFAULT_DOCUMENT_TTL_MS;
  const timeoutMs = options.timeoutMs ?? DEFAULT_DOCUMENT_TIMEOUT_MS;
  const insecure = options.allowInsecureHttp ?? isLoopbackServerName;
  const cache = new Map<string, Cached>();
  const failures = new Map<string, { error: VollyError; at: number }>();
  const inflight = new Map<string, Promise<ServerDocument>>();

  const unreachable = (server: string, reason: string, message?: string) =>
    new VollyError("VOLLY_E_FEDERATION_UNREACHABLE", message, { server, reason });

  async function fetchDocument(server: string): Promise<ServerDocument> {
    const http = insecure(server);
    const url = `${http ? "http" : "https"}://${server}${FEDERATION_WELL_KNOWN_PATH}`;
    let response: Response;
    try {
      response = await fetchImpl(url, {
        method: "GET",
        headers: { accept: "application/json" },
        redirect: "error",
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const timedOut = (error as Error | undefined)?.name === "TimeoutError";
      throw unreachable(server, timedOut ? "timeout" : "network");
    }
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      throw unreachable(server, "status", `The server document answered HTTP ${response.status}.`);
    }
    let bytes: Uint8Array | undefined;
    try {
      bytes = await readBodyCapped(response, MAX_DOCUMENT_BYTES);
    } catch {
      throw unreachable(server, "network");
    }
    if (bytes === undefined) throw unreachable(server, "too-large", "The server document is too large.");
    let value: unknown;
    try {
      value = parseBoundedJson(new TextDecoder().decode(bytes), 8);
    } catch {
      throw unreachable(server, "invalid", "The server document is not JSON.");
    }
    if (!matches(ServerDocument, value)) {
      throw unreachable(server, "invalid", "The server document does not match its schema.");
    }
    if (value.name !== server) {
      throw unreachable(server, "name", "The server document names another server.");
    }
    if (!http && !value.federationUrl.startsWith("https://")) {
      throw unreachable(server, "insecure", "The server document's federationUrl is not https.");
    }
    return value;
  }

  function load(server: string): Promise<ServerDocument> {
    const pending = inflight.get(server);
    if (pending) return pending;
    const promise = fetchDocument(server).then(
      (document) => {
        cache.delete(server);
        if (cache.size >= MAX_CACHED_SERVERS) cache.delete(cache.keys().next().value as string);
        cache.set(server, { document, fetchedAt: now() });
        failures.delete(server);
        return document;
      },
      (error: VollyError) => {
        if (failures.size >= MAX_CACHED_SERVERS) failures.delete(failures.keys().next().value as string);
        failures.set(server, { error, at: now() });
        throw error;
      },
    );
    const tracked = promise.finally(() => inflight.delete(server));
    inflight.set(server, tracked);
    return tracked;
  }

  function checkName(server: string): void {
    if (typeof server !== "string" || server.length > 261 || !SERVER_NAME.test(server)) {
      throw new VollyError("VOLLY_E_BAD_REQUEST", "Not a server name.", {
        server: String(server).slice(0, 300),
      });
    }
  }

  /**
   * The cached document, else a fetch — unless one failed less than `retryMs` ago (that failure is
   * thrown again).
   */
  async function documentWithin(server: string, retryMs: number): Promise<ServerDocument> {
    checkName(server);
    const t = now();
    const cached = cache.get(server);
    if (cached && t - cached.fetchedAt < ttlMs) return cached.document;
    const failed = failures.get(server);
    if (failed && t - failed.at < retryMs) throw failed.error;
    return load(server);
  }
  const document = (server: string) => documentWithin(server, FAILED_FETCH_RETRY_MS);

  const find = (doc: ServerDocument, keyId: string) => {
    const entry = doc.keys.find((k) => k.keyId === keyId);
    return entry ? fromBase64Url(entry.publicKey) : undefined;
  };

  return {
    document,
    async key(server, keyId) {
      // A request signed by `server` just arrived, so it is likely up again: an earlier failure to
      // reach it holds back a new fetch for only a second (not FAILED_FETCH_RETRY_MS).
      const found = find(await documentWithin(server, INCOMING_RETRY_MS), keyId);
      if (found) return found;
      // The document is in the cache now: refetch it only when it is older than a minute.
      const fetchedAt = cache.get(server)?.fetchedAt ?? Number.NEGATIVE_INFINITY;
      if (now() - fetchedAt < UNKNOWN_KEY_REFETCH_MS) return undefined;
      return find(await load(server), keyId);
    },
    forget(server) {
      cache.delete(server);
      failures.delete(server);
    },
  };
}
