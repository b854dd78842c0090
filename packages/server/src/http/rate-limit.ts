import rateLimit, { type FastifyRateLimitStore, normalizeIP } from "@fastify/rate-limit";
import { VollyError } from "@volly/protocol";
import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from "fastify";
import { Redis } from "ioredis";
import type { RateLimitConfig } from "../config.js";
import { budgetOf, entityBudgets } from "../config-rate-limits.js";
import type { AuthContext } from "../services/context.js";
import type { RateCounters } from "./rate-counters.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /** How the REST rate limit keys this route's requests (see {@link registerRateLimit}). */
    vollyRateLimit?: "account" | "ip";
  }
}

/** Prefix of the rate-limit counters' Redis keys. */
export const RATE_LIMIT_REDIS_PREFIX = "volly:rate-limit:";

/** Clients remembered at most by the in-memory counters (least recently seen are dropped first). */
export const RATE_LIMIT_MEMORY_CLIENTS = 100_000;

/** Options of {@link registerRateLimit}. */
export interface RateLimitOptions {
  /** The limits (per window: requests per account by its entity type, per IP address). */
  limits: RateLimitConfig;
  /** Resolves the request's bearer token to its device (shared with the handler: one lookup). */
  authenticate: (request: FastifyRequest) => Promise<AuthContext>;
  /**
   * Where the counts live (`http/rate-counters.ts`: this process's memory, or Redis shared by every
   * node). The gateway's SEND budget adds to the same `account:<id>` keys, so REST requests and
   * gateway SENDs of an account draw on one budget.
   */
  counters: RateCounters;
}

/** The @fastify/rate-limit store over {@link RateCounters}: every route counts into the same keys. */
function storeOver(counters: RateCounters): new () => FastifyRateLimitStore {
  const store: FastifyRateLimitStore = {
    incr(key, callback, timeWindow) {
      counters.add(key, 1, timeWindow).then(
        ({ current, ttlMs }) => callback(null, { current, ttl: ttlMs }),
        (error: Error) => callback(error),
      );
    },
    child: () => store,
  };
  // @fastify/rate-limit constructs its store; this one hands back the shared instance.
  return function SharedStore() {
    return store;
  } as unknown as new () => FastifyRateLimitStore;
}

/**
 * Registers @fastify/rate-limit for the REST API and returns the `onRequest` hook that enforces it;
 * a route is limited when it has the hook and says in `config.vollyRateLimit` how its requests are
 * keyed (routes without both — health, operator endpoints, the gateway, the web app — are not):
 *
 * - `"account"` (authenticated routes): by the bearer token's account, up to the `max` of its entity
 *   type's budget (`entityBudgets(limits)`, config-rate-limits.ts; the type comes with the token's
 *   session lookup, no query of its own) per `limits.windowMs`; a request whose token does not
 *   authenticate is keyed by IP instead (and then gets its 401 from the handler);
 * - `"ip"` (unauthenticated routes: registration, nonces, lookups, device links): by the client's IP
 *   address (IPv6: its /64; behind a trusted proxy the forwarded one), up to `limits.ipMax`.
 *
 * Counting happens before the body is read. A request over the limit gets 429 VOLLY_E_RATE_LIMITED
 * with `details.retryAfterMs` (ms until the client's window ends; plus `details.entityType` when
 * counted by account) and `Retry-After` (s, rounded up); nothing of the request is handled;
 * every response of a limited route carries `x-ratelimit-limit`, `x-ratelimit-remaining` and
 * `x-ratelimit-reset`.
 * Windows are fixed: a client's count starts with its first request and resets `windowMs` later.
 * When Redis fails (or takes over a second), requests are let through: an outage of the counters must
 * not become an outage of the API. The counts live in `options.counters`, shared with the gateway's
 * SEND budget.
 *
 * @returns the hook to add to every limited route's `onRequest`
 */
export async function registerRateLimit(
  app: FastifyInstance,
  options: RateLimitOptions,
): Promise<onRequestHookHandler> {
  const { limits, authenticate } = options;
  const budgets = entityBudgets(limits);
  /** The entity type a request was counted under (set by `max` for requests keyed by account). */
  const countedAs = new WeakMap<FastifyRequest, string>();
  await app.register(rateLimit, {
    global: false,
    timeWindow: limits.windowMs,
    max: async (request, key) => {
      if (!key.startsWith("account:")) return limits.ipMax;
      // Remembered from keyGenerator's lookup: no second query.
      const { entityType } = await authenticate(request);
      countedAs.set(request, entityType);
      return budgetOf(budgets, entityType).max;
    },
    keyGenerator: async (request) => {
      if (request.routeOptions.config.vollyRateLimit === "account") {
        try {
          return `account:${(await authenticate(request)).accountId}`;
        } catch {
          // Not authenticated: counted by IP; the handler answers with the authentication error.
        }
      }
      return `ip:${normalizeIP(request.ip)}`;
    },
    errorResponseBuilder: (request, context) => {
      const entityType = countedAs.get(request);
      return new VollyError("VOLLY_E_RATE_LIMITED", undefined, {
        retryAfterMs: Math.max(0, context.ttl),
        ...(entityType !== undefined ? { entityType } : {}),
      });
    },
    skipOnError: true,
    store: storeOver(options.counters),
  });
  return app.rateLimit() as unknown as onRequestHookHandler;
}

/**
 * Opens the ioredis connection that keeps the rate-limit counters of `startServer` (one per node,
 * beside the bus's two). Commands fail at once while it is disconnected and after 1 s when Redis
 * hangs — the limiter then lets requests through — and it reconnects with backoff up to 1 s.
 *
 * @param url `redis://…` or `rediss://…` (VOLLY_REDIS_URL)
 * @param onError called with every connection error (the client keeps reconnecting)
 * @param connectTimeoutMs how long to wait for the first connection (ms)
 * @throws Error when Redis is not ready within `connectTimeoutMs` (the connection is closed)
 */
export async function openRateLimitRedis(
  url: string,
  onError: (error: unknown) => void,
  connectTimeoutMs = 10_000,
): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 1_000,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), 1_000),
    connectionName: "volly-rate-limit",
  });
  redis.on("error", onError);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(
        () =>
          reject(new Error(`cannot connect to Redis (rate limits): no answer within ${connectTimeoutMs} ms`)),
        connectTimeoutMs,
      );
      redis.once("ready", () => resolve());
      redis.connect().catch(() => undefined); // failures are retried (and reported as errors)
    });
    return redis;
  } catch (error) {
    redis.disconnect();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
