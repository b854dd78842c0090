import { isIP } from "node:net";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_CIPHERSUITE } from "@volly/crypto";
import { LIMITS, VollyError } from "@volly/protocol";
import {
  checkSfu,
  checkTurn,
  DEFAULT_SFU,
  type SfuConfig,
  sfuFromEnv,
  type TurnConfig,
  turnFromEnv,
} from "./config-calls.js";
import { type FederationConfig, parseFederationConfig } from "./config-federation.js";
import { checkFiles, DEFAULT_FILES, type FilesConfig, filesFromEnv } from "./config-files.js";
import { checkQuotas, DEFAULT_QUOTAS, type QuotaConfig, quotasFromEnv } from "./config-quotas.js";
import {
  checkEntityBudgets,
  type EntityBudgetOverrides,
  entityBudgetsFromEnv,
} from "./config-rate-limits.js";

/** Pino log levels accepted by `logLevel` / VOLLY_LOG_LEVEL. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
/** A pino log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Per-client limits of the REST API and of gateway SENDs (docs/deployment.md "Rate limits",
 * docs/machine-members/rate-limits.md). Requests to authenticated routes and gateway SENDs count
 * against the account of the bearer token or gateway session (all its devices together), up to the
 * budget of the account's entity type (human, bot, agent, service, device: `entityBudgets` in config-rate-limits.ts);
 * requests to the other routes — and requests whose token does not authenticate — count against the
 * client's IP address (IPv6: its /64). Over the limit: 429 VOLLY_E_RATE_LIMITED with
 * `details.retryAfterMs` and a `Retry-After` header (s). `/healthz`, `/readyz`, `/metrics`, the
 * gateway's other frames and the web app are not limited.
 */
export interface RateLimitConfig {
  /** Length of one counting window (ms); a client's count starts with its first request. VOLLY_RATE_LIMIT_WINDOW_MS. */
  windowMs: number;
  /**
   * Requests to authenticated routes (and gateway SENDs) one account of any entity type without a
   * budget of its own (`entityTypes`) may make per window. VOLLY_RATE_LIMIT_ACCOUNT_MAX. Unset: each
   * type's default (`DEFAULT_ENTITY_BUDGETS` in config-rate-limits.ts).
   */
  accountMax?: number;
  /** Requests to unauthenticated routes one IP address may make per window. VOLLY_RATE_LIMIT_IP_MAX. */
  ipMax: number;
  /**
   * Bytes of gateway SEND frames one account of any entity type without a byte budget of its own may
   * send per window (VOLLY_RATE_LIMIT_ACCOUNT_BYTES). Unset: each type's default.
   */
  accountBytesMax?: number;
  /**
   * Budgets per entity type (VOLLY_RATE_LIMIT_<TYPE>_MAX and VOLLY_RATE_LIMIT_<TYPE>_BYTES, TYPE one
   * of HUMAN, BOT, AGENT, SERVICE, DEVICE); they win over `accountMax` / `accountBytesMax`.
   */
  entityTypes?: EntityBudgetOverrides;
}

/**
 * Default {@link RateLimitConfig}: windows of a minute, 1,200 requests per IP address (20/s:
 * registration, login and lookups of a whole office behind one NAT fit; a registration flood does
 * not), and per account its entity type's default budget (`DEFAULT_ENTITY_BUDGETS`: 12,000
 * requests a minute for a human, 30,000 for an agent or a device, 120,000 for a bot or a service).
 */
export const DEFAULT_RATE_LIMIT: RateLimitConfig = {
  windowMs: 60_000,
  ipMax: 1_200,
};

/** Everything a Volly server needs to start. */
export interface ServerConfig {
  /** TCP port to listen on; 0 picks a free port (the real one is reported by `startServer`). Default 7777. */
  port: number;
  /**
   * Interface to bind. Default "127.0.0.1" (loopback only) so a laptop install is never exposed by
   * accident; set "0.0.0.0" (VOLLY_HOST) to serve other machines or a reverse proxy.
   */
  host: string;
  /** Directory holding `volly.db` (created if missing). Default "./volly-data". */
  dataDir: string;
  /** MLS ciphersuite every uploaded key package must use (RFC 9420 §5.1). Default DEFAULT_CIPHERSUITE. */
  ciphersuite: string;
  /** Gateway heartbeat interval announced in HELLO (ms); a client silent for twice this is closed. Default 30000. */
  heartbeatIntervalMs: number;
  /**
   * How long a gateway connection may stay unauthenticated after HELLO (ms): without a successful
   * IDENTIFY or RESUME by then it is closed with VOLLY_E_IDENTIFY_TIMEOUT (4011), heartbeats or not.
   * VOLLY_GATEWAY_IDENTIFY_TIMEOUT_MS, 1 ms–10 minutes. Default 15,000.
   */
  gatewayIdentifyTimeoutMs: number;
  /**
   * Unauthenticated gateway connections one client IP address (IPv6: its /64; behind a trusted proxy
   * the forwarded one) may hold at once; one more is refused before the upgrade with 429
   * VOLLY_E_TOO_MANY_CONNECTIONS. VOLLY_GATEWAY_UNAUTHENTICATED_PER_IP, 1–1,000,000. Default 100.
   */
  gatewayMaxUnauthenticatedPerIp: number;
  /**
   * Web origins (`https://chat.example.org`) besides the server's own whose pages may open the
   * gateway (VOLLY_ALLOWED_ORIGINS, comma-separated). A WebSocket upgrade carrying an `Origin` that
   * is neither the server's own (its host equals the request's `Host`) nor listed is refused with
   * 403 VOLLY_E_ORIGIN_NOT_ALLOWED; upgrades without `Origin` (CLI, bots) are allowed. Default none.
   */
  allowedOrigins: string[];
  /**
   * Where the Prometheus metrics are served: `GET /metrics` on a listener of their own at
   * `metricsHost:metricsPort` (VOLLY_METRICS_HOST, VOLLY_METRICS_PORT; 0 picks a free port), never on
   * the public port. Unset port (the default): metrics are not served.
   */
  metricsPort?: number;
  /** Interface of the metrics listener (VOLLY_METRICS_HOST). Default "127.0.0.1". */
  metricsHost: string;
  /**
   * PEM files of a certificate chain and its private key (VOLLY_TLS_CERT_FILE, VOLLY_TLS_KEY_FILE;
   * both or neither): the server then speaks HTTPS and WSS itself and sends Strict-Transport-Security.
   * Default unset: plain HTTP, TLS ends in a reverse proxy.
   */
  tlsCertFile?: string;
  /** See {@link ServerConfig.tlsCertFile}. */
  tlsKeyFile?: string;
  /** Pino log level. Default "info". */
  logLevel: LogLevel;
  /**
   * Directory of the built web app served at `/` (index.html plus hashed files under assets/).
   * Default {@link DEFAULT_WEB_DIR}; when it holds no index.html, `/` explains how to build it.
   */
  webDir: string;
  /**
   * PostgreSQL connection URL (`postgres://user:pass@host:5432/db`, VOLLY_DATABASE_URL). When set the
   * server runs the scaled shape's store on PostgreSQL; when absent, SQLite in `dataDir` (embedded
   * shape). See docs/deployment.md.
   */
  databaseUrl?: string;
  /** Connections the PostgreSQL pool opens at most (VOLLY_DATABASE_POOL_SIZE). Default 10. */
  databasePoolSize: number;
  /**
   * Redis URL (`redis://host:6379`, VOLLY_REDIS_URL). When set the bus (fanout between nodes,
   * presence) is Redis pub/sub; when absent, in-process (one node only).
   */
  redisUrl?: string;
  /**
   * How long undelivered log entries and Welcomes are kept (ms); what every member device has
   * acknowledged is deleted sooner. VOLLY_RETENTION_DAYS (whole or fractional days). Default
   * LIMITS.retentionMs (30 days).
   */
  retentionMs: number;
  /** How often the pruning job runs (ms). VOLLY_PRUNE_INTERVAL_MS. Default 3,600,000 (hourly). */
  pruneIntervalMs: number;
  /**
   * How often each node looks for scheduled messages that are due (ms); a message goes out at most
   * this long after its time. VOLLY_SCHEDULED_POLL_MS. Default 1,000.
   */
  scheduledPollMs: number;
  /**
   * REST rate limits, or false for none (VOLLY_RATE_LIMIT=off). Counters live in Redis when
   * `redisUrl` is set (shared by every node), else in this process. Default {@link DEFAULT_RATE_LIMIT}.
   */
  rateLimit: RateLimitConfig | false;
  /**
   * Addresses (IPs or CIDR ranges) of reverse proxies whose `X-Forwarded-For` is believed, so the
   * client's address (for per-IP rate limits and logs) is the one the proxy saw (VOLLY_TRUST_PROXY,
   * comma-separated, e.g. `127.0.0.1` for nginx on the same machine). Default none: the TCP peer's
   * address is used and the header ignored.
   */
  trustProxy: string[];
  /**
   * Storage quotas per account and group, the unclaimed key package cap per device and the key
   * package claim limits (VOLLY_QUOTA_* and VOLLY_CLAIM_LIMIT_*, see `config-quotas.ts`). Default
   * {@link DEFAULT_QUOTAS}.
   */
  quotas: QuotaConfig;
  /**
   * Encrypted files: largest upload, blob directory, per-account storage quota and upload expiry
   * (VOLLY_MAX_UPLOAD_BYTES, VOLLY_BLOB_DIR, VOLLY_STORAGE_QUOTA_BYTES, VOLLY_UPLOAD_EXPIRY_MS; see
   * `config-files.ts`). Default {@link DEFAULT_FILES}.
   */
  files: FilesConfig;
  /**
   * STUN/TURN servers for calls and the shared secret TURN credentials are minted with
   * (VOLLY_TURN_URLS, VOLLY_TURN_SECRET, VOLLY_TURN_TTL_SECONDS; see `config-calls.ts`). Unset (the
   * default): `GET /v1/calls/ice-servers` answers no servers.
   */
  turn?: TurnConfig;
  /**
   * The SFU (Janus) of voice channels: off, managed by this process, or external (VOLLY_SFU,
   * VOLLY_SFU_URL, VOLLY_SFU_API_SECRET, VOLLY_SFU_RTP_PORTS; see `config-calls.ts`). Default off.
   */
  sfu: SfuConfig;
  /**
   * Federation (`federation/`): set when the server has a public URL (VOLLY_PUBLIC_URL, `volly serve
   * --public-url`); its name is that URL's host[:port]. Absent: the server talks to no other server.
   */
  federation?: FederationConfig;
}

/**
 * Where the web app's Vite build lands in this repository: `packages/web/dist`, resolved from this
 * module (`packages/server/dist/config.js` when built, `packages/server/src/config.ts` under Vitest —
 * both two levels below `packages/`).
 */
export const DEFAULT_WEB_DIR = resolve(fileURLToPath(new URL("../../web/dist/", import.meta.url)));

/** The defaults of every {@link ServerConfig} field. */
export const DEFAULT_CONFIG: ServerConfig = {
  port: 7777,
  host: "127.0.0.1",
  dataDir: "./volly-data",
  ciphersuite: DEFAULT_CIPHERSUITE,
  heartbeatIntervalMs: 30_000,
  gatewayIdentifyTimeoutMs: 15_000,
  gatewayMaxUnauthenticatedPerIp: 100,
  allowedOrigins: [],
  metricsHost: "127.0.0.1",
  logLevel: "info",
  webDir: DEFAULT_WEB_DIR,
  databasePoolSize: 10,
  retentionMs: LIMITS.retentionMs,
  pruneIntervalMs: 60 * 60 * 1000,
  scheduledPollMs: 1000,
  rateLimit: DEFAULT_RATE_LIMIT,
  trustProxy: [],
  quotas: DEFAULT_QUOTAS,
  files: DEFAULT_FILES,
  sfu: DEFAULT_SFU,
};

function usage(message: string, details: Record<string, unknown>): VollyError {
  return new VollyError("VOLLY_E_USAGE", message, details);
}

function parsePort(value: unknown, source: string): number {
  const port = typeof value === "string" && /^\d{1,5}$/.test(value.trim()) ? Number(value.trim()) : value;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw usage(`${source} must be an integer port between 0 and 65535.`, { [source]: String(value) });
  }
  return port;
}

/**
 * Builds a validated {@link ServerConfig}: defaults, then environment variables, then `overrides`
 * (e.g. CLI flags) — later wins.
 *
 * Reads VOLLY_PORT, VOLLY_HOST, VOLLY_DATA_DIR, VOLLY_CIPHERSUITE, VOLLY_LOG_LEVEL, VOLLY_WEB_DIR,
 * VOLLY_DATABASE_URL, VOLLY_DATABASE_POOL_SIZE, VOLLY_REDIS_URL, VOLLY_RETENTION_DAYS,
 * VOLLY_PRUNE_INTERVAL_MS, VOLLY_SCHEDULED_POLL_MS, VOLLY_RATE_LIMIT (`on` | `off`), VOLLY_RATE_LIMIT_WINDOW_MS,
 * VOLLY_RATE_LIMIT_ACCOUNT_MAX, VOLLY_RATE_LIMIT_IP_MAX, VOLLY_RATE_LIMIT_ACCOUNT_BYTES,
 * VOLLY_RATE_LIMIT_<TYPE>_MAX and VOLLY_RATE_LIMIT_<TYPE>_BYTES (TYPE: HUMAN, BOT, AGENT, SERVICE,
 * DEVICE; `config-rate-limits.ts`),
 * VOLLY_TRUST_PROXY, VOLLY_GATEWAY_IDENTIFY_TIMEOUT_MS, VOLLY_GATEWAY_UNAUTHENTICATED_PER_IP,
 * VOLLY_ALLOWED_ORIGINS, VOLLY_METRICS_HOST, VOLLY_METRICS_PORT, VOLLY_TLS_CERT_FILE,
 * VOLLY_TLS_KEY_FILE, the quota variables of `config-quotas.ts` (VOLLY_QUOTA_*,
 * VOLLY_CLAIM_LIMIT_*) and the file variables of `config-files.ts` (VOLLY_MAX_UPLOAD_BYTES,
 * VOLLY_BLOB_DIR, VOLLY_STORAGE_QUOTA_BYTES, VOLLY_UPLOAD_EXPIRY_MS), and the call variables of
 * `config-calls.ts` (VOLLY_TURN_URLS, VOLLY_TURN_SECRET, VOLLY_TURN_TTL_SECONDS, VOLLY_SFU,
 * VOLLY_SFU_URL, VOLLY_SFU_API_SECRET, VOLLY_SFU_RTP_PORTS); empty values are ignored. The
 * web directory is made absolute (relative to the working directory). Allowed origins are
 * normalised to `scheme://host[:port]`.
 *
 * @param env environment variables (usually `process.env`)
 * @param overrides fields that take precedence over the environment
 * @throws VollyError VOLLY_E_USAGE for a port outside 0–65535, an unknown log level, an empty host,
 *   data dir or web dir, a heartbeat interval below 1 ms, a database URL that is not postgres:// or
 *   postgresql://, a Redis URL that is not redis:// or rediss://, a pool size outside 1–1000, a
 *   retention period or pruning interval that is not a positive number, VOLLY_RATE_LIMIT other than
 *   on/off, a rate-limit window outside 1 ms–1 day or a maximum outside 1–1,000,000,000 (bytes:
 *   1–10^15), also per entity type, a trusted proxy that is not an IP address or CIDR range, an identify timeout outside
 *   1 ms–10 minutes, an unauthenticated-connection cap outside 1–1,000,000, an allowed origin that
 *   is not an http(s) origin, an empty metrics host, or only one of the TLS certificate and key, a quota or claim limit out of range,
 *   a file limit out of range or an empty blob directory, a TURN or SFU setting `checkTurn` /
 *   `checkSfu` refuses
 */
export function configFromEnv(
  env: Record<string, string | undefined> = process.env,
  overrides: Partial<ServerConfig> = {},
): ServerConfig {
  const fromEnv: Partial<Record<keyof ServerConfig, unknown>> = {};
  const read = (name: string) => {
    const value = env[name];
    return value === undefined || value.trim() === "" ? undefined : value.trim();
  };
  const port = read("VOLLY_PORT");
  if (port !== undefined) fromEnv.port = parsePort(port, "VOLLY_PORT");
  const host = read("VOLLY_HOST");
  if (host !== undefined) fromEnv.host = host;
  const dataDir = read("VOLLY_DATA_DIR");
  if (dataDir !== undefined) fromEnv.dataDir = dataDir;
  const suite = read("VOLLY_CIPHERSUITE");
  if (suite !== undefined) fromEnv.ciphersuite = suite;
  const level = read("VOLLY_LOG_LEVEL");
  if (level !== undefined) fromEnv.logLevel = level;
  const webDir = read("VOLLY_WEB_DIR");
  if (webDir !== undefined) fromEnv.webDir = webDir;
  const databaseUrl = read("VOLLY_DATABASE_URL");
  if (databaseUrl !== undefined) fromEnv.databaseUrl = databaseUrl;
  const poolSize = read("VOLLY_DATABASE_POOL_SIZE");
  if (poolSize !== undefined)
    fromEnv.databasePoolSize = /^\d{1,4}$/.test(poolSize) ? Number(poolSize) : poolSize;
  const redisUrl = read("VOLLY_REDIS_URL");
  if (redisUrl !== undefined) fromEnv.redisUrl = redisUrl;
  const retentionDays = read("VOLLY_RETENTION_DAYS");
  if (retentionDays !== undefined) {
    const days = /^\d+(\.\d+)?$/.test(retentionDays) ? Number(retentionDays) : Number.NaN;
    fromEnv.retentionMs = Number.isFinite(days) ? Math.round(days * 24 * 60 * 60 * 1000) : retentionDays;
  }
  const scheduledPoll = read("VOLLY_SCHEDULED_POLL_MS");
  if (scheduledPoll !== undefined) {
    fromEnv.scheduledPollMs = /^\d{1,12}$/.test(scheduledPoll) ? Number(scheduledPoll) : scheduledPoll;
  }
  const pruneInterval = read("VOLLY_PRUNE_INTERVAL_MS");
  if (pruneInterval !== undefined) {
    fromEnv.pruneIntervalMs = /^\d{1,12}$/.test(pruneInterval) ? Number(pruneInterval) : pruneInterval;
  }

  const rateLimitSwitch = read("VOLLY_RATE_LIMIT");
  if (rateLimitSwitch !== undefined && !["on", "off"].includes(rateLimitSwitch)) {
    throw usage("VOLLY_RATE_LIMIT must be on or off.", { VOLLY_RATE_LIMIT: rateLimitSwitch });
  }
  if (rateLimitSwitch === "off") {
    fromEnv.rateLimit = false;
  } else {
    const limits: Record<string, unknown> = {};
    for (const [field, name] of [
      ["windowMs", "VOLLY_RATE_LIMIT_WINDOW_MS"],
      ["accountMax", "VOLLY_RATE_LIMIT_ACCOUNT_MAX"],
      ["ipMax", "VOLLY_RATE_LIMIT_IP_MAX"],
      ["accountBytesMax", "VOLLY_RATE_LIMIT_ACCOUNT_BYTES"],
    ] as const) {
      const value = read(name);
      if (value !== undefined) limits[field] = /^\d{1,16}$/.test(value) ? Number(value) : value;
    }
    const perType = entityBudgetsFromEnv(env);
    if (perType !== undefined) limits.entityTypes = perType;
    if (Object.keys(limits).length > 0) fromEnv.rateLimit = { ...DEFAULT_RATE_LIMIT, ...limits };
  }
  const trustProxy = read("VOLLY_TRUST_PROXY");
  if (trustProxy !== undefined) fromEnv.trustProxy = trustProxy.split(",").map((entry) => entry.trim());
  const integer = (name: string) => {
    const value = read(name);
    return value === undefined ? undefined : /^\d{1,12}$/.test(value) ? Number(value) : value;
  };
  fromEnv.gatewayIdentifyTimeoutMs = integer("VOLLY_GATEWAY_IDENTIFY_TIMEOUT_MS");
  fromEnv.gatewayMaxUnauthenticatedPerIp = integer("VOLLY_GATEWAY_UNAUTHENTICATED_PER_IP");
  const origins = read("VOLLY_ALLOWED_ORIGINS");
  if (origins !== undefined) fromEnv.allowedOrigins = origins.split(",").map((entry) => entry.trim());
  fromEnv.metricsHost = read("VOLLY_METRICS_HOST");
  fromEnv.tlsCertFile = read("VOLLY_TLS_CERT_FILE");
  fromEnv.tlsKeyFile = read("VOLLY_TLS_KEY_FILE");
  const metricsPort = read("VOLLY_METRICS_PORT");
  if (metricsPort !== undefined) fromEnv.metricsPort = parsePort(metricsPort, "VOLLY_METRICS_PORT");
  const quotas = quotasFromEnv(env);
  if (quotas !== undefined) fromEnv.quotas = quotas;
  const files = filesFromEnv(env);
  if (files !== undefined) fromEnv.files = files;
  fromEnv.turn = turnFromEnv(env);
  fromEnv.sfu = sfuFromEnv(env);
  const federation = parseFederationConfig(env);
  if (federation.publicUrl !== undefined) fromEnv.federation = federation;

  const merged = { ...DEFAULT_CONFIG, ...definedOnly(fromEnv), ...definedOnly(overrides) };
  const logLevel = String(merged.logLevel);
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw usage(`The log level must be one of ${LOG_LEVELS.join(", ")}.`, { logLevel });
  }
  if (typeof merged.host !== "string" || merged.host === "") throw usage("The host must not be empty.", {});
  if (typeof merged.dataDir !== "string" || merged.dataDir === "") {
    throw usage("The data directory must not be empty.", {});
  }
  if (typeof merged.ciphersuite !== "string" || merged.ciphersuite === "") {
    throw usage("The ciphersuite must not be empty.", {});
  }
  if (typeof merged.webDir !== "string" || merged.webDir === "") {
    throw usage("The web app directory must not be empty.", {});
  }
  const heartbeat = merged.heartbeatIntervalMs;
  if (typeof heartbeat !== "number" || !Number.isInteger(heartbeat) || heartbeat < 1) {
    throw usage("The heartbeat interval must be a positive integer (ms).", {
      heartbeatIntervalMs: heartbeat,
    });
  }
  const pool = merged.databasePoolSize;
  if (typeof pool !== "number" || !Number.isInteger(pool) || pool < 1 || pool > 1000) {
    throw usage("The database pool size must be an integer from 1 to 1000.", { databasePoolSize: pool });
  }
  const positive = (value: unknown, name: string, unit: string): number => {
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
      throw usage(`The ${unit} must be positive.`, { [name]: value });
    }
    return value;
  };
  const retentionMs = positive(merged.retentionMs, "retentionMs", "retention period");
  const pruneIntervalMs = positive(merged.pruneIntervalMs, "pruneIntervalMs", "pruning interval (ms)");
  const scheduledPollMs = positive(merged.scheduledPollMs, "scheduledPollMs", "scheduled poll interval (ms)");
  const rateLimit = checkRateLimit(merged.rateLimit);
  const proxies = checkProxies(merged.trustProxy);
  const identifyTimeout = merged.gatewayIdentifyTimeoutMs;
  if (
    typeof identifyTimeout !== "number" ||
    !Number.isInteger(identifyTimeout) ||
    identifyTimeout < 1 ||
    identifyTimeout > 600_000
  ) {
    throw usage("VOLLY_GATEWAY_IDENTIFY_TIMEOUT_MS must be an integer from 1 to 600000 (ms).", {
      VOLLY_GATEWAY_IDENTIFY_TIMEOUT_MS: identifyTimeout,
    });
  }
  const perIp = merged.gatewayMaxUnauthenticatedPerIp;
  if (typeof perIp !== "number" || !Number.isInteger(perIp) || perIp < 1 || perIp > 1_000_000) {
    throw usage("VOLLY_GATEWAY_UNAUTHENTICATED_PER_IP must be an integer from 1 to 1000000.", {
      VOLLY_GATEWAY_UNAUTHENTICATED_PER_IP: perIp,
    });
  }
  const allowedOrigins = checkOrigins(merged.allowedOrigins);
  if (typeof merged.metricsHost !== "string" || merged.metricsHost === "") {
    throw usage("VOLLY_METRICS_HOST must not be empty.", {});
  }
  if ((merged.tlsCertFile === undefined) !== (merged.tlsKeyFile === undefined)) {
    throw usage("VOLLY_TLS_CERT_FILE and VOLLY_TLS_KEY_FILE go together: set both or neither.", {});
  }
  const database = checkUrl(merged.databaseUrl, ["postgres:", "postgresql:"], "VOLLY_DATABASE_URL");
  const redis = checkUrl(merged.redisUrl, ["redis:", "rediss:"], "VOLLY_REDIS_URL");
  return {
    port: parsePort(merged.port, "port"),
    host: merged.host,
    dataDir: merged.dataDir,
    ciphersuite: merged.ciphersuite,
    heartbeatIntervalMs: heartbeat,
    gatewayIdentifyTimeoutMs: identifyTimeout,
    gatewayMaxUnauthenticatedPerIp: perIp,
    allowedOrigins,
    metricsHost: merged.metricsHost,
    ...(typeof merged.tlsCertFile === "string" && typeof merged.tlsKeyFile === "string"
      ? { tlsCertFile: merged.tlsCertFile, tlsKeyFile: merged.tlsKeyFile }
      : {}),
    ...(merged.metricsPort !== undefined
      ? { metricsPort: parsePort(merged.metricsPort, "metricsPort") }
      : {}),
    logLevel: logLevel as LogLevel,
    webDir: resolve(merged.webDir),
    databasePoolSize: pool,
    retentionMs,
    pruneIntervalMs,
    scheduledPollMs,
    rateLimit,
    trustProxy: proxies,
    quotas: checkQuotas(merged.quotas),
    files: checkFiles(merged.files),
    ...(merged.turn !== undefined ? { turn: checkTurn(merged.turn) } : {}),
    sfu: checkSfu(merged.sfu),
    ...(database !== undefined ? { databaseUrl: database } : {}),
    ...(redis !== undefined ? { redisUrl: redis } : {}),
    ...(merged.federation !== undefined ? { federation: merged.federation as FederationConfig } : {}),
  };
}

/**
 * Validates the rate limits: false, or a window of 1 ms–1 day and maxima of 1–1,000,000,000 (bytes:
 * 1–10^15), the all-accounts ones optional, and per-type budgets ({@link checkEntityBudgets}).
 */
function checkRateLimit(value: unknown): RateLimitConfig | false {
  if (value === false) return false;
  const limits = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>;
  const within = (field: keyof RateLimitConfig, name: string, max: number, what: string): number => {
    const n = limits[field];
    if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > max) {
      throw usage(`${name} must be ${what}.`, { [name]: n === undefined ? null : n });
    }
    return n;
  };
  const count = "an integer from 1 to 1000000000";
  return {
    windowMs: within(
      "windowMs",
      "VOLLY_RATE_LIMIT_WINDOW_MS",
      86_400_000,
      "an integer from 1 to 86400000 (ms)",
    ),
    ipMax: within("ipMax", "VOLLY_RATE_LIMIT_IP_MAX", 1e9, count),
    ...(limits.accountMax !== undefined
      ? { accountMax: within("accountMax", "VOLLY_RATE_LIMIT_ACCOUNT_MAX", 1e9, count) }
      : {}),
    ...(limits.accountBytesMax !== undefined
      ? {
          accountBytesMax: within(
            "accountBytesMax",
            "VOLLY_RATE_LIMIT_ACCOUNT_BYTES",
            1e15,
            "an integer from 1 to 1000000000000000 (bytes)",
          ),
        }
      : {}),
    ...(limits.entityTypes !== undefined ? { entityTypes: checkEntityBudgets(limits.entityTypes) } : {}),
  };
}

/**
 * Validates the allowed origins: each an `http:` or `https:` origin (no path, query, fragment or
 * credentials); returns them normalised as the browser sends them (`scheme://host[:port]`,
 * lower-case, default ports dropped).
 */
function checkOrigins(value: unknown): string[] {
  if (!Array.isArray(value)) throw usage("VOLLY_ALLOWED_ORIGINS must be a list of origins.", {});
  return value.map((entry: unknown) => {
    let url: URL | undefined;
    try {
      url = typeof entry === "string" ? new URL(entry) : undefined;
    } catch {
      url = undefined;
    }
    const bare =
      url !== undefined &&
      (url.protocol === "http:" || url.protocol === "https:") &&
      (url.pathname === "/" || url.pathname === "") &&
      !url.search &&
      !url.hash &&
      !url.username &&
      !url.password;
    if (!url || !bare) {
      throw usage(
        "VOLLY_ALLOWED_ORIGINS must list origins such as https://chat.example.org, comma-separated.",
        {
          VOLLY_ALLOWED_ORIGINS: String(entry),
        },
      );
    }
    return url.origin;
  });
}

/** Validates the trusted proxies: each an IPv4/IPv6 address, optionally with a /prefix. */
function checkProxies(value: unknown): string[] {
  if (!Array.isArray(value)) throw usage("VOLLY_TRUST_PROXY must be a list of addresses.", {});
  return value.map((entry: unknown) => {
    const [address = "", prefix, ...rest] = typeof entry === "string" ? entry.split("/") : [];
    const family = isIP(address);
    const bits = family === 4 ? 32 : 128;
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits);
    if (family === 0 || !prefixOk || rest.length > 0) {
      throw usage("VOLLY_TRUST_PROXY must list IP addresses or CIDR ranges, comma-separated.", {
        VOLLY_TRUST_PROXY: String(entry),
      });
    }
    return entry as string;
  });
}

/** Validates an optional service URL's scheme; the error never echoes the URL (it may hold a password). */
function checkUrl(value: unknown, protocols: string[], name: string): string | undefined {
  if (value === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = typeof value === "string" ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || !protocols.includes(url.protocol)) {
    throw usage(`${name} must be a ${protocols.map((p) => `${p}//`).join(" or ")} URL.`, {});
  }
  return value as string;
}

/** A URL with its password replaced by `***`, for logs and messages. */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    return "(unparseable URL)";
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
