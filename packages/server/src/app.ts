import { LIMITS, VollyError } from "@volly/protocol";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import type { Redis } from "ioredis";
import { pino } from "pino";
import type { Bus } from "./bus/bus.js";
import type { ServerConfig } from "./config.js";
import { registerGateway } from "./gateway/gateway.js";
import { authenticateRequest } from "./http/bearer.js";
import { installErrorHandler, installNotFoundHandler } from "./http/error-handler.js";
import { registerOperationsRoutes } from "./http/operations-routes.js";
import { registerRateLimit } from "./http/rate-limit.js";
import { installRequestLog } from "./http/request-log.js";
import { registerRoutes } from "./http/routes.js";
import { installSecurityHeaders } from "./http/security-headers.js";
import { registerWebApp } from "./http/web-app.js";
import { createMetrics, type Metrics } from "./metrics.js";
import { createRetentionJob } from "./services/retention.js";
import { createServices } from "./services/services.js";
import type { Store } from "./store/types.js";

/** What {@link buildApp} assembles. */
export interface BuildAppOptions {
  config: ServerConfig;
  /** The durable state; the caller owns it (the app never closes it). */
  store: Store;
  /** Fanout to gateway sessions; the caller owns it. */
  bus: Bus;
  /** Pino (or compatible) logger; default: pino at `config.logLevel` on stdout. */
  logger?: FastifyBaseLogger;
  /** Clock (ms since the Unix epoch); default `Date.now`. */
  now?: () => number;
  /**
   * The node's metrics, served at `/metrics`; default: a fresh registry without process metrics.
   * Pass the same one to the store and bus wrappers so their errors are counted.
   */
  metrics?: Metrics;
  /** Cross-node presence timing (ms); defaults in `gateway/presence-tracker.ts`. */
  presence?: { refreshIntervalMs?: number; ttlMs?: number };
  /**
   * Where the REST rate-limit counters live: this Redis (ioredis; the caller owns it), shared by every
   * node using it. Default: in this process. Unused when `config.rateLimit` is false.
   */
  rateLimitRedis?: Redis;
  /** Prefix of the rate-limit counters' Redis keys; default "volly:rate-limit:". */
  rateLimitRedisPrefix?: string;
}

/**
 * Builds the Fastify app — REST v1 (every route of ROUTES), the WebSocket gateway at
 * `/v1/gateway`, the web app from `config.webDir` at `/` (with `/i/:token` invite links and
 * single-page-app fallback) — without listening, so tests can `app.inject()`.
 *
 * Request bodies are limited to LIMITS.maxRequestBodyBytes (→ 413 VOLLY_E_PAYLOAD_TOO_LARGE); every
 * error is a typed `{code, message, details?}` body with the registry's HTTP status; unknown API
 * routes (and every unknown non-GET) are 404 VOLLY_E_NOT_FOUND; requests arriving while the app
 * closes get 503 VOLLY_E_SHUTTING_DOWN. REST routes are rate limited per account or per IP address
 * (`config.rateLimit`, see `http/rate-limit.ts`: 429 VOLLY_E_RATE_LIMITED); the client's address is
 * taken from `X-Forwarded-For` only behind `config.trustProxy`. HTML responses carry a
 * Content-Security-Policy. One info log line per request (method, url, status, ms); bodies are never
 * logged. Operators get `GET /metrics`
 * (Prometheus) and `GET /readyz` (see `http/operations-routes.ts`). The retention job
 * (`services/retention.ts`) prunes the store every `config.pruneIntervalMs` until the app closes.
 */
export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const { config, store, bus } = options;
  const now = options.now ?? Date.now;
  const metrics = options.metrics ?? createMetrics();
  const logger = options.logger ?? pino({ level: config.logLevel });
  const app = Fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: LIMITS.maxRequestBodyBytes,
    return503OnClosing: false,
    routerOptions: { maxParamLength: 2048 },
    trustProxy: config.trustProxy.length > 0 ? config.trustProxy : false,
  });

  let closing = false;
  app.addHook("preClose", async () => {
    closing = true;
  });
  app.addHook("onRequest", async () => {
    if (closing) throw new VollyError("VOLLY_E_SHUTTING_DOWN");
  });

  installErrorHandler(app);
  installRequestLog(app);
  installSecurityHeaders(app);
  const services = createServices({ store, bus, now, metrics }, config.ciphersuite, config.quotas);
  await registerGateway(app, {
    services,
    bus,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    now,
    metrics,
    ...(options.presence ? { presence: options.presence } : {}),
  });
  const rateLimit =
    config.rateLimit === false
      ? undefined
      : await registerRateLimit(app, {
          limits: config.rateLimit,
          authenticate: (request) => authenticateRequest(request, services.auth),
          ...(options.rateLimitRedis ? { redis: options.rateLimitRedis } : {}),
          ...(options.rateLimitRedisPrefix ? { redisPrefix: options.rateLimitRedisPrefix } : {}),
        });
  registerRoutes(app, services, rateLimit ? { rateLimit } : {});
  const retention = createRetentionJob({
    store,
    now,
    retentionMs: config.retentionMs,
    intervalMs: config.pruneIntervalMs,
    log: app.log,
  });
  retention.start();
  app.addHook("onClose", () => retention.stop());
  registerOperationsRoutes(app, { metrics, store, bus });
  installNotFoundHandler(app, await registerWebApp(app, config.webDir));
  return app;
}
