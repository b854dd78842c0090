import { readFile } from "node:fs/promises";
import { loadSuite } from "@volly/crypto";
import { VollyError } from "@volly/protocol";
import type { Logger } from "pino";
import { buildApp } from "./app.js";
import { describeBus, openConfiguredBus } from "./bus/open-bus.js";
import type { ServerConfig } from "./config.js";
import { blobDirOf } from "./config-files.js";
import { describeError } from "./describe-error.js";
import { buildMetricsApp } from "./http/metrics-app.js";
import { destroySockets, openSockets, trackSockets } from "./http/open-sockets.js";
import { openRateLimitRedis } from "./http/rate-limit.js";
import { createServerLogger } from "./logger.js";
import { createMetrics } from "./metrics.js";
import { openSfu, type Sfu } from "./sfu/open-sfu.js";
import { instrumentStore } from "./store/instrumented-store.js";
import { describeStore, openConfiguredStore } from "./store/open-store.js";

/** A listening server. */
export interface RunningServer {
  /**
   * Base URL, e.g. `http://127.0.0.1:7777` (the gateway is at `ws://…/v1/gateway`); `https://…` when
   * the config names a TLS certificate (gateway `wss://…`).
   */
  url: string;
  /** The port actually bound (differs from the config when it asked for 0). */
  port: number;
  /**
   * Base URL of the metrics listener (`GET ${metricsUrl}/metrics`), e.g. `http://127.0.0.1:9464`;
   * undefined when `config.metricsPort` is unset (metrics not served).
   */
  metricsUrl?: string;
  /**
   * The SFU of voice channels (`config.sfu`): a Janus this process runs (managed) or one it points
   * at (external); undefined when off.
   */
  sfu?: Sfu;
  /**
   * Drains and stops: stops accepting connections, closes gateway sockets with 1001 and reason
   * VOLLY_E_SHUTTING_DOWN (RFC 6455 §7.4.1), waits for in-flight requests, then closes the bus and
   * the store. Idempotent.
   */
  close(): Promise<void>;
}

/** Log lines about the bus are rate limited to one per kind per this interval (ms). */
const BUS_ERROR_LOG_INTERVAL_MS = 5_000;
/** How long draining may take on close before the remaining sockets are destroyed (ms), by default. */
const SHUTDOWN_DEADLINE_MS = 10_000;

/**
 * Starts a server node in the shape its configuration selects (DESIGN.md "Deployment shapes"):
 *
 * - embedded: SQLite at `${dataDir}/volly.db` (directory created if missing) and the in-process bus;
 * - scaled: PostgreSQL (`config.databaseUrl`) and/or Redis pub/sub (`config.redisUrl`); any number
 *   of such nodes can run behind a load balancer. With Redis, the REST rate-limit counters are kept
 *   there too (a third connection), so the nodes share them.
 *
 * Pending migrations are applied first. Metrics (with process metrics) are served at `/metrics` on a
 * listener of their own at `config.metricsHost:config.metricsPort` when that port is set (never on
 * the public port). With `config.sfu.mode` managed, Janus is started (and waited for) before the
 * server listens and stopped after it drained; store and bus failures are counted and logged (rate limited, never with content). Logs are JSON
 * (pino) — pretty-printed when stdout is a terminal, see {@link createServerLogger}:
 * `{"msg":"listening","url":…,"store":…,"bus":…}` once listening.
 *
 * @param options.logger where logs go (default: {@link createServerLogger} at `config.logLevel`)
 * @param options.shutdownDeadlineMs how long `close()` waits for clients to finish before it destroys
 *   their sockets (ms; default 10,000)
 * @throws VollyError VOLLY_E_USAGE when the configured ciphersuite cannot be loaded; the database's
 *   or Redis's error when either cannot be reached; the listen error (e.g. EADDRINUSE) when the port
 *   (or the metrics port) is taken; VOLLY_E_SFU_UNAVAILABLE when a managed Janus is missing or does
 *   not come up; the file's error when a TLS certificate or key cannot be read —
 *   in every case nothing is left open
 */
export async function startServer(
  config: ServerConfig,
  options: { logger?: Logger; shutdownDeadlineMs?: number } = {},
): Promise<RunningServer> {
  const logger = options.logger ?? createServerLogger(config.logLevel);
  try {
    await loadSuite(config.ciphersuite);
  } catch (error) {
    throw new VollyError("VOLLY_E_USAGE", `Unsupported ciphersuite ${config.ciphersuite}.`, {
      ciphersuite: config.ciphersuite,
      cause: describeError(error).message,
    });
  }
  if (config.databaseUrl !== undefined && config.files.blobDir === undefined) {
    // Scaled shape: another node cannot serve or resume what lands in this node's data directory.
    logger.warn(
      { blobDir: blobDirOf(config) },
      "VOLLY_BLOB_DIR is unset: attachments go to this node's data directory; point every node at one shared volume",
    );
  }
  const metrics = createMetrics({ processMetrics: true });
  const lastLogged = new Map<string, number>();
  const logRateLimited = (key: string, fields: object, msg: string) => {
    const at = Date.now();
    if (at - (lastLogged.get(key) ?? 0) < BUS_ERROR_LOG_INTERVAL_MS) return;
    lastLogged.set(key, at);
    logger.error(fields, msg);
  };
  const store = instrumentStore(
    await openConfiguredStore(
      config,
      (error) => logRateLimited("pool", { err: describeError(error) }, "database connection failed"),
      () => metrics.storeStatement(),
    ),
    (error) => {
      metrics.storeError();
      logRateLimited("store", { err: describeError(error) }, "store error");
    },
  );
  let bus: Awaited<ReturnType<typeof openConfiguredBus>>;
  try {
    bus = await openConfiguredBus(config, (kind, error) => {
      metrics.busError(kind);
      logRateLimited(`bus-${kind}`, { kind, err: describeError(error) }, "bus error");
    });
  } catch (error) {
    await store.close();
    throw error;
  }
  let sfu: Sfu | undefined;
  let rateLimitRedis: Awaited<ReturnType<typeof openRateLimitRedis>> | undefined;
  let app: Awaited<ReturnType<typeof buildApp>> | undefined;
  let metricsApp: Awaited<ReturnType<typeof buildMetricsApp>> | undefined;
  try {
    sfu = await openSfu(config.sfu, logger);
    if (config.redisUrl !== undefined && config.rateLimit !== false) {
      rateLimitRedis = await openRateLimitRedis(config.redisUrl, (error) =>
        logRateLimited("rate-limit-redis", { err: describeError(error) }, "rate-limit Redis error"),
      );
    }
    const tls =
      config.tlsCertFile !== undefined && config.tlsKeyFile !== undefined
        ? { cert: await readFile(config.tlsCertFile), key: await readFile(config.tlsKeyFile) }
        : undefined;
    app = await buildApp({
      config,
      ...(tls ? { tls } : {}),
      store,
      bus,
      logger,
      metrics,
      ...(rateLimitRedis ? { rateLimitRedis } : {}),
      ...(sfu ? { sfu } : {}),
    });
    trackSockets(app.server);
    await app.listen({ port: config.port, host: config.host });
    if (config.metricsPort !== undefined) {
      metricsApp = await buildMetricsApp({ metrics, logger });
      await metricsApp.listen({ port: config.metricsPort, host: config.metricsHost });
    }
  } catch (error) {
    await metricsApp?.close().catch(() => {});
    await app?.close().catch(() => {});
    rateLimitRedis?.disconnect();
    await sfu?.close();
    await bus.close();
    await store.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const urlOf = (h: string, p: number, scheme = "http") =>
    `${scheme}://${h.includes(":") ? `[${h}]` : h}:${p}`;
  const url = urlOf(config.host, port, config.tlsCertFile !== undefined ? "https" : "http");
  const metricsAddress = metricsApp?.server.address();
  const metricsUrl =
    typeof metricsAddress === "object" && metricsAddress
      ? urlOf(config.metricsHost, metricsAddress.port)
      : undefined;
  const where = describeStore(config);
  logger.info(
    { url, metricsUrl, store: where.backend, database: where.location, bus: describeBus(config) },
    "listening",
  );

  let closing: Promise<void> | undefined;
  const running = app;
  return {
    url,
    port,
    ...(metricsUrl ? { metricsUrl } : {}),
    ...(sfu ? { sfu } : {}),
    close() {
      closing ??= (async () => {
        logger.info("shutting down");
        // Draining has a deadline: a client that holds a socket (a stalled upload, a connection kept
        // without a request) does not keep the process alive past it.
        const deadline = setTimeout(() => {
          logger.warn({ sockets: openSockets(running.server) }, "drain deadline passed: closing sockets");
          destroySockets(running.server);
        }, options.shutdownDeadlineMs ?? SHUTDOWN_DEADLINE_MS).unref();
        await running.close();
        clearTimeout(deadline);
        await metricsApp?.close();
        rateLimitRedis?.disconnect(); // counters only: nothing to flush
        await sfu?.close();
        await bus.close();
        await store.close();
        logger.info("stopped");
      })();
      return closing;
    },
  };
}
