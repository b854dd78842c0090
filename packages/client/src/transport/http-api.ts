import type { Static, TSchema } from "@volly/protocol";
import {
  type ErrorBody,
  isErrorCode,
  parse,
  ROUTES,
  type RouteSpec,
  retryClass,
  VollyError,
  type VollyError as VollyErrorType,
} from "@volly/protocol";
import { AuthSession, type DeviceCredentials } from "./auth-session.js";

/** The protocol's table of REST v1 routes (`ROUTES` of @volly/protocol). */
export type Routes = typeof ROUTES;
/** Name of a REST v1 route in the protocol's ROUTES table. */
export type RouteName = keyof Routes;
/** The JSON body a route takes (undefined when it takes none). */
export type BodyOf<R extends RouteName> = Routes[R] extends { body: infer B extends TSchema }
  ? Static<B>
  : undefined;
/** The path parameters a route takes (undefined when it takes none). */
export type ParamsOf<R extends RouteName> = Routes[R] extends { params: infer P extends TSchema }
  ? Static<P>
  : undefined;
/** The typed response of a route. */
export type ResponseOf<R extends RouteName> = Static<Routes[R]["response"]>;

/**
 * Arguments of one REST call: path params and JSON body. There is no token: {@link HttpApi}
 * attaches the device's session to routes that need one.
 */
export interface CallOptions<R extends RouteName> {
  /** The route's path parameters (e.g. `{ handle }` for `getAccount`), as its schema types them. */
  params?: ParamsOf<R>;
  /** The route's JSON body, as its schema types it (validated by the server, not here). */
  body?: BodyOf<R>;
  /**
   * Attach this device's session on a route whose authentication is optional (`auth: false`), so
   * the server answers with what only the account itself may see (e.g. its own devices' names in
   * `getAccount`). Routes marked `auth` always carry it.
   */
  withSession?: boolean;
}

/** Causes (undici `err.cause.code`) of a fetch failure before the request left: retrying it is safe. */
const NOT_SENT = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
]);

/** True when a fetch failure certainly happened before the request reached a server. */
function neverSent(err: unknown): boolean {
  const cause = (err as { cause?: { code?: unknown; errors?: Array<{ code?: unknown }> } }).cause;
  const code = cause?.code ?? cause?.errors?.[0]?.code;
  return typeof code === "string" && NOT_SENT.has(code);
}

/**
 * How long one JSON call may take, answer included, before {@link HttpApi} gives up on it as the
 * server unreachable (ms), plus 1 ms per 64 bytes of request body (a 16 MiB message: 4.4 min more).
 */
export const REQUEST_TIMEOUT_MS = 60_000;

/**
 * Typed REST v1 client over `fetch` (Node >= 20 and browsers). Responses are validated against the
 * route's response schema, so a misbehaving server cannot feed the SDK malformed data.
 *
 * Authentication and re-authentication live here and nowhere else: given the device's credentials,
 * every route marked `auth` gets a bearer token of the device's session (signed in on first use,
 * see {@link AuthSession}), and a call refused with an error whose retry class is "reauth"
 * (`retryClass`: VOLLY_E_NOT_AUTHENTICATED, an expired nonce) signs in again and is sent once more.
 * Errors of class "later" are left to the caller's scheduler (the outbox's backoff, the next sync);
 * "never" ones are thrown as they are.
 *
 * Given several server URLs (nodes of one scaled deployment, DESIGN.md "Deployment shapes") it
 * sends every call to the current one and moves to the next (round robin) when that one cannot be
 * reached — a network failure or a node answering 503 VOLLY_E_SHUTTING_DOWN, never another HTTP
 * error. A call whose request certainly did not reach the server (connection refused, DNS failure,
 * connect timeout), a GET, or a call refused by a draining node is retried at once on the next URL,
 * each URL once; otherwise the call throws VOLLY_E_SERVER_UNREACHABLE and the caller's retry (the
 * outbox, the next sync) goes to the next URL. With a single URL a GET that failed on the network is
 * sent once more to it (idempotent, RFC 9110 §9.2.2); other calls are not.
 */
export class HttpApi {
  private readonly baseUrls: readonly string[];
  private readonly requestTimeoutMs: number;
  private current = 0;
  private readonly session: AuthSession | undefined;

  /**
   * @param baseUrls server origin, e.g. `http://localhost:7777` (no trailing slash needed), or
   *   several origins of one deployment, the preferred one first
   * @param credentials the device whose session authenticates `auth` routes; without them such a
   *   route fails with VOLLY_E_NOT_AUTHENTICATED before anything is sent
   * @param requestTimeoutMs how long one JSON call may take before it counts as the server
   *   unreachable (ms, default {@link REQUEST_TIMEOUT_MS}; plus 1 ms per 64 bytes of body)
   * @throws VollyError VOLLY_E_USAGE for an empty list
   */
  constructor(
    baseUrls: string | readonly string[],
    credentials?: DeviceCredentials,
    requestTimeoutMs = REQUEST_TIMEOUT_MS,
  ) {
    const list = typeof baseUrls === "string" ? [baseUrls] : [...baseUrls];
    if (list.length === 0) throw new VollyError("VOLLY_E_USAGE", "At least one server URL is needed.");
    this.baseUrls = list;
    this.requestTimeoutMs = requestTimeoutMs;
    this.session = credentials
      ? new AuthSession(
          {
            challenge: (deviceId) => this.send("challenge", { body: { deviceId } }),
            session: (body) => this.send("session", { body }),
          },
          credentials,
        )
      : undefined;
  }

  /**
   * Signs the device in now (or reuses a valid session), so that an unreachable server or a device
   * the server refuses fails fast. Throws VOLLY_E_NOT_AUTHENTICATED (no credentials),
   * VOLLY_E_SERVER_UNREACHABLE, VOLLY_E_UNKNOWN_DEVICE, VOLLY_E_BAD_SIGNATURE.
   */
  async authenticate(): Promise<void> {
    await this.token();
  }

  /** The server origin calls go to now. */
  get baseUrl(): string {
    return this.baseUrls[this.current] ?? "";
  }

  /** Moves to the next URL after `failed` failed, unless a concurrent call already moved on. */
  private failover(failed: string): void {
    if (this.baseUrl === failed) this.current = (this.current + 1) % this.baseUrls.length;
  }

  /**
   * Calls `route`, with the device's session when the route needs one (signed in again once when
   * the server answers with a "reauth" error). Throws VollyError: the server's typed error,
   * VOLLY_E_SERVER_UNREACHABLE when no server can be reached, VOLLY_E_NOT_AUTHENTICATED when an
   * `auth` route is called without credentials or still refused after signing in again,
   * VOLLY_E_INTERNAL when the response is not what the schema says.
   */
  async call<R extends RouteName>(route: R, options: CallOptions<R> = {}): Promise<ResponseOf<R>> {
    if (!ROUTES[route].auth && !options.withSession) return this.send(route, options);
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.send(route, options, await this.token());
      } catch (err) {
        if (attempt > 0 || retryClass(err) !== "reauth") throw err;
        this.session?.invalidate();
      }
    }
  }

  /**
   * A valid bearer token of this device's session (signing in when needed): for the requests
   * outside the typed routes — tus uploads (`tus-js-client` sets it on each request) and blob
   * downloads. Throws as {@link HttpApi.authenticate}.
   */
  bearer(): Promise<string> {
    return this.token();
  }

  /**
   * A request outside the typed routes (blob downloads, the upload limits), with the device's
   * session: signed in again once when the server answers 401, sent to the next URL when the
   * current one cannot be reached (GET and HEAD only). Returns the response as it is, any status;
   * read an error body with {@link responseError}.
   *
   * @param path an absolute path, e.g. `/v1/blobs/ID`
   * @throws VollyError VOLLY_E_SERVER_UNREACHABLE, and those of signing in
   */
  async fetchWithSession(
    path: string,
    init: { method: "GET" | "HEAD"; headers?: Record<string, string>; signal?: AbortSignal },
  ): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.token();
      let res: Response | undefined;
      for (let tried = 0; tried < Math.max(2, this.baseUrls.length) && !res; tried++) {
        const base = this.baseUrl;
        try {
          res = await fetch(new URL(path, base), {
            method: init.method,
            headers: { ...init.headers, authorization: `Bearer ${token}` },
            ...(init.signal ? { signal: init.signal } : {}),
          });
        } catch (err) {
          if (init.signal?.aborted) throw err;
          this.failover(base);
          if (tried + 1 >= Math.max(2, this.baseUrls.length)) {
            throw new VollyError(
              "VOLLY_E_SERVER_UNREACHABLE",
              `Cannot reach ${base}: ${(err as Error).message}`,
            );
          }
        }
      }
      if (!res) throw new VollyError("VOLLY_E_SERVER_UNREACHABLE", "No server could be reached.");
      if (res.status !== 401 || attempt > 0) return res;
      await res.body?.cancel();
      this.session?.invalidate();
    }
  }

  private token(): Promise<string> {
    if (!this.session) {
      return Promise.reject(
        new VollyError("VOLLY_E_NOT_AUTHENTICATED", "No device credentials to sign in with."),
      );
    }
    return this.session.getToken();
  }

  /** One call with failover between the URLs (see the class comment); `token` as given. */
  private async send<R extends RouteName>(
    route: R,
    options: CallOptions<R>,
    token?: string,
  ): Promise<ResponseOf<R>> {
    // A GET is idempotent (RFC 9110 §9.2.2): with one URL it is still sent once more after a
    // connection failure (a keep-alive connection closed under it, a reset on a busy machine).
    const sameUrlRetry = this.baseUrls.length === 1 && ROUTES[route].method === "GET" ? 1 : 0;
    for (let attempt = 1; ; attempt++) {
      const base = this.baseUrl;
      const canRetry = attempt < this.baseUrls.length + sameUrlRetry;
      try {
        return await this.callOnce(base, route, options, token);
      } catch (err) {
        if (!(err instanceof Failover)) throw err;
        this.failover(base);
        if (canRetry && (err.retrySafe || ROUTES[route].method === "GET")) continue;
        throw err.error;
      }
    }
  }

  private async callOnce<R extends RouteName>(
    baseUrl: string,
    route: R,
    options: CallOptions<R>,
    token: string | undefined,
  ): Promise<ResponseOf<R>> {
    const spec: RouteSpec = ROUTES[route];
    let path = spec.path;
    for (const [k, v] of Object.entries((options.params ?? {}) as Record<string, string>)) {
      path = path.replace(`:${k}`, encodeURIComponent(v));
    }
    const headers: Record<string, string> = {};
    if (options.body !== undefined) headers["content-type"] = "application/json";
    if (token) headers.authorization = `Bearer ${token}`;
    const body = options.body !== undefined ? JSON.stringify(options.body) : undefined;
    // A server whose packets are dropped (a cut link, not a refusal) would hold the call for as long
    // as TCP takes to give up: bounded, it counts as unreachable and the caller's retry takes over.
    const signal = AbortSignal.timeout(this.requestTimeoutMs + Math.ceil((body?.length ?? 0) / 64));
    let res: Response;
    try {
      res = await fetch(new URL(path, baseUrl), {
        method: spec.method,
        headers,
        signal,
        ...(body !== undefined ? { body } : {}),
      });
    } catch (err) {
      const error = new VollyError(
        "VOLLY_E_SERVER_UNREACHABLE",
        `Cannot reach ${baseUrl}: ${(err as Error).message}`,
      );
      throw new Failover(error, neverSent(err));
    }
    let text: string;
    try {
      text = await res.text(); // under the same signal
    } catch (err) {
      const error = new VollyError(
        "VOLLY_E_SERVER_UNREACHABLE",
        `Lost ${baseUrl} while reading its answer: ${(err as Error).message}`,
      );
      throw new Failover(error, false);
    }
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      throw new VollyError("VOLLY_E_INTERNAL", `Server answered ${res.status} with non-JSON`);
    }
    if (!res.ok) {
      const error = errorFromBody(json, res.status);
      // A draining node refuses requests before handling them: another node can take this one.
      if (error.code === "VOLLY_E_SHUTTING_DOWN") throw new Failover(error, true);
      throw error;
    }
    return parse(spec.response, json, "VOLLY_E_INTERNAL") as ResponseOf<R>;
  }
}

/** A failure after which {@link HttpApi} moves to its next URL; `retrySafe` when nothing was processed. */
class Failover extends Error {
  constructor(
    readonly error: VollyErrorType,
    readonly retrySafe: boolean,
  ) {
    super(error.message);
  }
}

/**
 * The VollyError of a failed response outside the typed routes (its JSON error body, or
 * VOLLY_E_INTERNAL naming the status when it has none).
 */
export async function responseError(res: Response): Promise<VollyErrorType> {
  let body: unknown;
  try {
    const text = await res.text();
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return errorFromBody(body, res.status);
}

/** Turns an error body from the wire into a VollyError (unknown codes become VOLLY_E_INTERNAL). */
export function errorFromBody(body: unknown, status?: number): VollyErrorType {
  const b = body as Partial<ErrorBody> | undefined;
  if (b && isErrorCode(b.code)) return new VollyError(b.code, b.message, b.details);
  return new VollyError("VOLLY_E_INTERNAL", `Unexpected server error${status ? ` (HTTP ${status})` : ""}`);
}
