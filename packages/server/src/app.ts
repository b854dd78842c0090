import { LIMITS, VollyError } from "@volly/protocol";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import type { Redis } from "ioredis";
import { pino } from "pino";
import type { Bus } from "./bus/bus.js";
import type { ServerConfig } from "./config.js";
import { blobDirOf } from "./config-files.js";
import { entityBudgets } from "./config-rate-limits.js";
import { describeError } from "./describe-error.js";
import { installFederation } from "./federation/federation.js";
import { registerGateway } from "./gateway/gateway.js";
import { createSendBudget } from "./gateway/send-budget.js";
import { authenticateRequest } from "./http/bearer.js";
import {
  clientErrorHandler,
  frameworkErrorHandler,
  installErrorHandler,
  installNotFoundHandler,
} from "./http/error-handler.js";
import { registerFileRoutes } from "./http/file-routes.js";
import { installJsonBodyParser } from "./http/json-body.js";
import { registerOperationsRoutes } from "./http/operations-routes.js";
import { createMemoryRateCounters, createRedisRateCounters } from "./http/rate-counters.js";
import { RATE_LIMIT_MEMORY_CLIENTS, RATE_LIMIT_REDIS_PREFIX, registerRateLimit } from "./http/rate-limit.js";
import { installRequestLog } from "./http/request-log.js";
import { registerRoutes } from "./http/routes.js";
import { installSecurityHeaders } from "./http/security-headers.js";
import { registerWebApp } from "./http/web-app.js";
import { createMetrics, type Metrics } from "./metrics.js";
import { createBlobExpiryJob } from "./services/blobs/expiry-job.js";
import { createRetentionJob } from "./services/retention.js";
import { createReleaseJob } from "./services/scheduled/release-job.js";
import { createServices } from "./services/services.js";
import { createVoiceService } from "./services/voice/voice-service.js";
import type { Sfu } from "./sfu/open-sfu.js";
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
   * The node's metrics (served by the metrics listener, `http/metrics-app.ts`, not by this app);
   * default: a fresh registry without process metrics. Pass the same one to the store and bus
   * wrappers so their errors are counted.
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
  /** Serve HTTPS (and WSS) with this certificate chain and key (PEM); default plain HTTP. */
  tls?: { cert: Buffer; key: Buffer };
  /** The SFU of voice channels (started by `startServer`); without it voice routes answer VOLLY_E_SFU_UNAVAILABLE. */
  sfu?: Sfu;
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
 * (`config.rateLimit`, see `http/rate-limit.ts`: 429 VOLLY_E_RATE_LIMITED), and gateway SENDs are
 * charged to the same per-account budget plus a byte budget (`gateway/send-budget.ts`); the client's address is
 * taken from `X-Forwarded-For` only behind `config.trustProxy`. HTML responses carry a
 * Content-Security-Policy. One info log line per request (method, url, status, ms); bodies are never
 * logged. Operators get `GET /readyz` (see `http/operations-routes.ts`); the Prometheus metrics are
 * counted into `options.metrics` and served on a listener of their own (`http/metrics-app.ts`). The retention job
 * (`services/retention.ts`) prunes the store every `config.pruneIntervalMs` until the app closes.
 * Encrypted files: tus uploads at `/v1/uploads` and downloads at `/v1/blobs/:blobId`
 * (`http/file-routes.ts`) over the blob directory (`config.files`); the blob expiry job
 * (`services/blobs/expiry-job.ts`) removes stale uploads and blobs no message keeps.
 */
export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const { config, store, bus } = options;
  const now = options.now ?? Date.now;
  const metrics = options.metrics ?? createMetrics();
  const logger = options.logger ?? pino({ level: config.logLevel });
  // With `https` Fastify's types pick an https.Server instance; every API used here is the same.
  const app = Fastify({
    ...(options.tls ? { https: { cert: options.tls.cert, key: options.tls.key } } : {}),
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: LIMITS.maxRequestBodyBytes,
    return503OnClosing: false,
    routerOptions: { maxParamLength: 2048 },
    trustProxy: config.trustProxy.length > 0 ? config.trustProxy : false,
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
  }) as unknown as FastifyInstance;

  let closing = false;
  app.addHook("preClose", async () => {
    closing = true;
  });
  app.addHook("onRequest", async (request, reply) => {
    if (!closing) return;
    // The answer closes the connection: a client reconnecting in a loop must not hold the server open.
    // An upgrade request's socket has left Node's HTTP handling, so it is ended here once answered.
    reply.header("connection", "close");
    if (request.headers.upgrade !== undefined) reply.raw.once("finish", () => request.raw.socket.end());
    throw new VollyError("VOLLY_E_SHUTTING_DOWN");
  });

  installErrorHandler(app);
  installJsonBodyParser(app);
  installRequestLog(app);
  installSecurityHeaders(app);
  const services = createServices(
    { store, bus, now, metrics, log: app.log },
    config.ciphersuite,
    config.quotas,
    { config: config.files, dir: blobDirOf(config) },
  );
  const voice = createVoiceService(
    { store, bus, now, metrics, log: app.log },
    {
      sfu: options.sfu,
      turn: config.turn,
      log: app.log,
      ...(config.sfu.voiceGraceMs !== undefined ? { graceMs: config.sfu.voiceGraceMs } : {}),
    },
  );
  services.voice = voice;
  app.addHook("onClose", async () => voice.close());
  const limits = config.rateLimit;
  const counters =
    limits === false
      ? undefined
      : options.rateLimitRedis
        ? createRedisRateCounters(
            options.rateLimitRedis,
            options.rateLimitRedisPrefix ?? RATE_LIMIT_REDIS_PREFIX,
          )
        : createMemoryRateCounters(RATE_LIMIT_MEMORY_CLIENTS);
  let lastBudgetError = 0;
  const sendBudget =
    limits === false || !counters
      ? undefined
      : createSendBudget({
          counters,
          windowMs: limits.windowMs,
          budgets: entityBudgets(limits),
          onError: (error) => {
            // Redis down: SENDs are let through; say so at most every 5 s.
            if (Date.now() - lastBudgetError < 5_000) return;
            lastBudgetError = Date.now();
            app.log.warn({ err: describeError(error) }, "gateway send budget: counters unavailable");
          },
        });
  if (sendBudget) app.addHook("onClose", () => sendBudget.close());
  await registerGateway(app, {
    services,
    bus,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    identifyTimeoutMs: config.gatewayIdentifyTimeoutMs,
    maxUnauthenticatedPerIp: config.gatewayMaxUnauthenticatedPerIp,
    allowedOrigins: config.allowedOrigins,
    ...(sendBudget ? { sendBudget } : {}),
    now,
    metrics,
    ...(options.presence ? { presence: options.presence } : {}),
  });
  const rateLimit =
    limits === false || !counters
      ? undefined
      : await registerRateLimit(app, {
          limits,
          authenticate: (request) => authenticateRequest(request, services.auth),
          counters,
        });
  registerRoutes(app, services, {
    ...(rateLimit ? { rateLimit } : {}),
    ...(config.turn ? { turn: config.turn } : {}),
    now,
  });
  registerFileRoutes(app, services, {
    allowedOrigins: config.allowedOrigins,
    ...(rateLimit ? { rateLimit } : {}),
  });
  const retention = createRetentionJob({
    store,
    now,
    retentionMs: config.retentionMs,
    intervalMs: config.pruneIntervalMs,
    log: app.log,
  });
  retention.start();
  app.addHook("onClose", () => retention.stop());
  const release = createReleaseJob({
    store,
    delivery: services.delivery,
    now,
    intervalMs: config.scheduledPollMs,
    log: app.log,
  });
  release.start();
  app.addHook("onClose", () => release.stop());
  const blobExpiry = createBlobExpiryJob({
    store,
    files: services.blobs.files,
    now,
    retentionMs: config.retentionMs,
    uploadExpiryMs: config.files.uploadExpiryMs,
    intervalMs: Math.min(config.pruneIntervalMs, config.files.uploadExpiryMs),
    log: app.log,
  });
  blobExpiry.start();
  app.addHook("onClose", () => blobExpiry.stop());
  if (config.federation) {
    await installFederation(app, {
      config: config.federation,
      dataDir: config.dataDir,
      services,
      service: { store, bus, now, metrics, log: app.log },
      metrics,
      pollIntervalMs: config.federation.pollIntervalMs,
    });
  }
  registerOperationsRoutes(app, { store, bus });
  installNotFoundHandler(app, await registerWebApp(app, config.webDir));
  return app;
}
