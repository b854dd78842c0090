import { createWriteStream } from "node:fs";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import type { TSchema } from "@sinclair/typebox";
import {
  ERROR_CODES,
  type ErrorCode,
  ErrorResponse,
  FEDERATION_PREFIX,
  matches,
  parseBoundedJson,
  SERVER_NAME_PATTERN,
  VollyError,
} from "@volly/protocol";
import type { FederationMetrics } from "./federation-metrics.js";
import type { FederationPolicy } from "./federation-policy.js";
import { readBodyCapped, type ServerDirectory } from "./server-directory.js";
import { signRequest } from "./signing/request-signing.js";
import type { ServerSigningKey } from "./signing/server-key.js";

/** Default time limit of one federation request, answer included (ms). */
export const DEFAULT_FEDERATION_TIMEOUT_MS = 30_000;
/** Largest federation answer accepted (bytes). */
export const MAX_FEDERATION_RESPONSE_BYTES = 8 * 1024 * 1024;

const SERVER_NAME = new RegExp(SERVER_NAME_PATTERN);
/** A federation path: the prefix, then segments of unreserved and percent-encoded characters. */
const PATH = new RegExp(`^${FEDERATION_PREFIX.replaceAll("/", "\\/")}(?:\\/[A-Za-z0-9_.~%@:-]+)+$`);

/** Options of one {@link FederationClient.request}. */
export interface FederationRequestOptions {
  /** The JSON body (POST); serialized once, and those bytes are signed and sent. */
  body?: unknown;
  /** Query parameters, appended URL-encoded in this order. */
  query?: Record<string, string | number>;
  /** The schema a 2xx answer's JSON must match. */
  response: TSchema;
}

/** Sends signed requests to other servers' federation APIs (see {@link createFederationClient}). */
export interface FederationClient {
  /**
   * Sends one signed request to `server` and returns its validated answer.
   *
   * @param server the remote server's name (`host[:port]`)
   * @param path the route, starting with `/federation/v1/` (segments already percent-encoded)
   * @returns the 2xx answer's JSON, which matched `options.response`
   * @throws VollyError VOLLY_E_FEDERATION_BLOCKED (the policy refuses `server`; nothing is sent);
   *   the remote server's own error, when it answered a Volly `ErrorResponse` with a registered
   *   code; VOLLY_E_FEDERATION_UNREACHABLE (details.server, details.reason) for a network error, a
   *   timeout, an answer over {@link MAX_FEDERATION_RESPONSE_BYTES}, an invalid answer or an
   *   unexpected status; VOLLY_E_BAD_REQUEST for a `server` or `path` that is not valid
   */
  request<T>(
    server: string,
    method: "GET" | "POST",
    path: string,
    options: FederationRequestOptions,
  ): Promise<T>;
  /**
   * Sends one signed GET to `server` and writes its 2xx body (bytes, streamed) to `file`.
   *
   * @param server the remote server's name (`host[:port]`)
   * @param path the route, starting with `/federation/v1/`
   * @param file where the bytes go (created or truncated; left partial on failure: the caller's
   *   to remove)
   * @param maxBytes the largest body accepted (bytes)
   * @returns how many bytes were written
   * @throws as {@link request}; VOLLY_E_FEDERATION_UNREACHABLE (reason "too-large") past `maxBytes`
   */
  download(server: string, path: string, file: string, maxBytes: number): Promise<number>;
}

/**
 * Creates the {@link FederationClient} of this server. Each request: checks the policy, resolves the
 * remote `federationUrl` from the directory, serializes the body once, signs method, target URI
 * (`${federationUrl}${path}?${query}`), `Content-Digest` and `volly-origin` (RFC 9421, see
 * `signRequest`), sends it without following redirects and within `timeoutMs`, reads at most
 * {@link MAX_FEDERATION_RESPONSE_BYTES}, and counts it in `metrics` (outgoing, ok or failed, with
 * its duration).
 *
 * @param options.serverName this server's name (the `volly-origin` and keyid it signs with)
 * @param options.key this server's signing key, published in its document
 * @param options.timeoutMs default {@link DEFAULT_FEDERATION_TIMEOUT_MS}
 * @param options.fetch the fetch to use, default the global one
 */
export function createFederationClient(options: {
  serverName: string;
  key: ServerSigningKey;
  directory: ServerDirectory;
  policy: FederationPolicy;
  metrics?: FederationMetrics;
  timeoutMs?: number;
  fetch?: typeof fetch;
}): FederationClient {
  const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  const timeoutMs = options.timeoutMs ?? DEFAULT_FEDERATION_TIMEOUT_MS;
  const signer = { serverName: options.serverName, key: options.key };

  const unreachable = (server: string, reason: string, details: Record<string, unknown> = {}) =>
    new VollyError("VOLLY_E_FEDERATION_UNREACHABLE", undefined, { server, reason, ...details });

  /** Signs and sends one request; the answer's body is not read yet. */
  async function dispatch(
    server: string,
    method: "GET" | "POST",
    path: string,
    request: Omit<FederationRequestOptions, "response">,
    accept: string,
  ): Promise<{ response: Response; signal: AbortSignal }> {
    const document = await options.directory.document(server);
    const search = request.query
      ? new URLSearchParams(Object.entries(request.query).map(([k, v]) => [k, String(v)])).toString()
      : "";
    const url = new URL(`${path}${search ? `?${search}` : ""}`, document.federationUrl);
    // The receiver rebuilds the target URI from its own federationUrl and the request target.
    const target = `${document.federationUrl}${url.pathname}${url.search}`;
    const body =
      request.body === undefined ? undefined : new TextEncoder().encode(JSON.stringify(request.body));
    const headers: Record<string, string> = { accept };
    if (body) headers["content-type"] = "application/json";
    Object.assign(
      headers,
      await signRequest({ method, url: target, headers, ...(body ? { body } : {}) }, signer),
    );
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const response = await fetchImpl(url.href, {
        method,
        headers,
        ...(body ? { body } : {}),
        redirect: "error",
        signal,
      });
      return { response, signal };
    } catch {
      throw unreachable(server, signal.aborted ? "timeout" : "network");
    }
  }

  /** The error a non-2xx answer stands for (its body read, at most {@link MAX_FEDERATION_RESPONSE_BYTES}). */
  async function failure(server: string, response: Response): Promise<VollyError> {
    const bytes = await readBodyCapped(response, MAX_FEDERATION_RESPONSE_BYTES).catch(() => undefined);
    let value: unknown;
    try {
      value = bytes && bytes.byteLength > 0 ? parseBoundedJson(new TextDecoder().decode(bytes)) : undefined;
    } catch {
      value = undefined;
    }
    if (matches(ErrorResponse, value) && Object.hasOwn(ERROR_CODES, value.code)) {
      return new VollyError(value.code as ErrorCode, value.message, value.details);
    }
    return unreachable(server, "status", { status: response.status });
  }

  async function send(
    server: string,
    method: "GET" | "POST",
    path: string,
    request: FederationRequestOptions,
  ): Promise<unknown> {
    const { response, signal } = await dispatch(server, method, path, request, "application/json");
    if (response.status < 200 || response.status >= 300) throw await failure(server, response);
    let bytes: Uint8Array | undefined;
    try {
      bytes = await readBodyCapped(response, MAX_FEDERATION_RESPONSE_BYTES);
    } catch {
      throw unreachable(server, signal.aborted ? "timeout" : "network");
    }
    if (bytes === undefined) throw unreachable(server, "too-large");
    let value: unknown;
    try {
      value = bytes.byteLength === 0 ? undefined : parseBoundedJson(new TextDecoder().decode(bytes));
    } catch {
      value = Symbol.for("invalid");
    }
    if (!matches(request.response, value)) {
      throw unreachable(server, "invalid-response", { status: response.status });
    }
    return value;
  }

  async function receive(server: string, path: string, file: string, maxBytes: number): Promise<number> {
    const { response, signal } = await dispatch(server, "GET", path, {}, "application/octet-stream");
    if (response.status < 200 || response.status >= 300) throw await failure(server, response);
    if (Number(response.headers.get("content-length") ?? 0) > maxBytes) {
      await response.body?.cancel().catch(() => undefined);
      throw unreachable(server, "too-large");
    }
    let size = 0;
    const capped = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.byteLength;
        done(size > maxBytes ? unreachable(server, "too-large") : null, chunk);
      },
    });
    try {
      await pipeline(
        response.body ? Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>) : Readable.from([]),
        capped,
        createWriteStream(file),
      );
    } catch (error) {
      if (error instanceof VollyError) throw error;
      throw unreachable(server, signal.aborted ? "timeout" : "network");
    }
    return size;
  }

  /** Checks `server`, `path` and the policy, then runs `call`, counting it in the metrics. */
  async function counted<T>(server: string, path: string, call: () => Promise<T>): Promise<T> {
    if (typeof server !== "string" || server.length > 261 || !SERVER_NAME.test(server)) {
      throw new VollyError("VOLLY_E_BAD_REQUEST", "Not a server name.", {
        server: String(server).slice(0, 300),
      });
    }
    if (
      typeof path !== "string" ||
      !PATH.test(path) ||
      path.split("/").some((s) => s === "." || s === "..")
    ) {
      throw new VollyError("VOLLY_E_BAD_REQUEST", `A federation path starts with ${FEDERATION_PREFIX}/.`);
    }
    if (!options.policy.allows(server)) {
      throw new VollyError("VOLLY_E_FEDERATION_BLOCKED", undefined, { server });
    }
    const started = performance.now();
    try {
      const value = await call();
      options.metrics?.outgoing(server, "ok", (performance.now() - started) / 1000);
      return value;
    } catch (error) {
      options.metrics?.outgoing(server, "failed", (performance.now() - started) / 1000);
      throw error;
    }
  }

  return {
    request<T>(server: string, method: "GET" | "POST", path: string, request: FederationRequestOptions) {
      return counted(server, path, () => send(server, method, path, request) as Promise<T>);
    },
    download(server, path, file, maxBytes) {
      return counted(server, path, () => receive(server, path, file, maxBytes));
    },
  };
}
