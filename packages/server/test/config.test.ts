import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_CIPHERSUITE } from "@volly/crypto";
import { describe, expect, it } from "vitest";
import { configFromEnv, DEFAULT_WEB_DIR, redactUrl } from "../src/config.js";
import { blobDirOf } from "../src/config-files.js";

describe("configFromEnv", () => {
  it("uses safe defaults: loopback host, port 7777, ./volly-data, the default ciphersuite", () => {
    expect(configFromEnv({})).toEqual({
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
      retentionMs: 30 * 24 * 60 * 60 * 1000,
      pruneIntervalMs: 3_600_000,
      scheduledPollMs: 1_000,
      rateLimit: { windowMs: 60_000, ipMax: 1_200 },
      trustProxy: [],
      quotas: {
        accountBytes: 2 * 1024 ** 3,
        groupBytes: 1024 ** 3,
        keyPackagesPerDevice: 100,
        claims: {
          windowMs: 3_600_000,
          perClaimer: 3_000,
          firstContactPerClaimer: 30,
          firstContactPerTarget: 100,
          oneTimePerTarget: 10,
        },
      },
      files: {
        maxUploadBytes: 100 * 1024 ** 2,
        storageQuotaBytes: 10 * 1024 ** 3,
        uploadExpiryMs: 86_400_000,
      },
      sfu: { mode: "off" },
    });
  });

  it("reads the file limits and the blob directory (default: <data dir>/blobs)", () => {
    const config = configFromEnv({
      VOLLY_MAX_UPLOAD_BYTES: "1048576",
      VOLLY_BLOB_DIR: "/mnt/shared/blobs",
      VOLLY_STORAGE_QUOTA_BYTES: "5000000",
      VOLLY_UPLOAD_EXPIRY_MS: "60000",
    });
    expect(config.files).toEqual({
      maxUploadBytes: 1_048_576,
      blobDir: "/mnt/shared/blobs",
      storageQuotaBytes: 5_000_000,
      uploadExpiryMs: 60_000,
    });
    expect(blobDirOf(config)).toBe("/mnt/shared/blobs");
    expect(blobDirOf(configFromEnv({ VOLLY_DATA_DIR: "/var/lib/volly" }))).toBe("/var/lib/volly/blobs");
  });

  it("reads the storage quotas (0: none), the key package cap and the claim limits", () => {
    const config = configFromEnv({
      VOLLY_QUOTA_ACCOUNT_BYTES: "1048576",
      VOLLY_QUOTA_GROUP_BYTES: "0",
      VOLLY_QUOTA_KEY_PACKAGES: "40",
      VOLLY_CLAIM_LIMIT_WINDOW_MS: "60000",
      VOLLY_CLAIM_LIMIT_CLAIMER: "500",
      VOLLY_CLAIM_LIMIT_FIRST_CONTACT: "5",
      VOLLY_CLAIM_LIMIT_FIRST_CONTACT_TARGET: "20",
      VOLLY_CLAIM_LIMIT_ONE_TIME: "3",
    });
    expect(config.quotas).toEqual({
      accountBytes: 1_048_576,
      groupBytes: 0,
      keyPackagesPerDevice: 40,
      claims: {
        windowMs: 60_000,
        perClaimer: 500,
        firstContactPerClaimer: 5,
        firstContactPerTarget: 20,
        oneTimePerTarget: 3,
      },
    });
    expect(configFromEnv({ VOLLY_CLAIM_LIMIT_ONE_TIME: "4" }).quotas.claims).toMatchObject({
      perClaimer: 3_000,
      oneTimePerTarget: 4,
    });
  });

  it("reads the rate limits (VOLLY_RATE_LIMIT_*), switches them off with VOLLY_RATE_LIMIT=off, and the trusted proxies", () => {
    expect(
      configFromEnv({ VOLLY_RATE_LIMIT_WINDOW_MS: "1000", VOLLY_RATE_LIMIT_IP_MAX: "50" }).rateLimit,
    ).toEqual({ windowMs: 1000, ipMax: 50 });
    expect(
      configFromEnv({
        VOLLY_RATE_LIMIT_ACCOUNT_MAX: "7",
        VOLLY_RATE_LIMIT_ACCOUNT_BYTES: "65536",
        VOLLY_RATE_LIMIT: "on",
      }).rateLimit,
    ).toEqual({
      windowMs: 60_000,
      accountMax: 7,
      ipMax: 1_200,
      accountBytesMax: 65_536,
    });
    expect(configFromEnv({ VOLLY_RATE_LIMIT: "off", VOLLY_RATE_LIMIT_IP_MAX: "5" }).rateLimit).toBe(false);
    expect(
      configFromEnv({
        VOLLY_RATE_LIMIT_BOT_MAX: "5",
        VOLLY_RATE_LIMIT_BOT_BYTES: "4096",
        VOLLY_RATE_LIMIT_HUMAN_MAX: " 9 ",
        VOLLY_RATE_LIMIT_DEVICE_BYTES: "",
      }).rateLimit,
    ).toEqual({
      windowMs: 60_000,
      ipMax: 1_200,
      entityTypes: { bot: { max: 5, bytes: 4096 }, human: { max: 9 } },
    });
    expect(configFromEnv({ VOLLY_RATE_LIMIT: "on" }, { rateLimit: false }).rateLimit).toBe(false);
    expect(configFromEnv({ VOLLY_TRUST_PROXY: "127.0.0.1, 10.0.0.0/8,::1,fd00::/8" }).trustProxy).toEqual([
      "127.0.0.1",
      "10.0.0.0/8",
      "::1",
      "fd00::/8",
    ]);
  });

  it.each([
    ["VOLLY_RATE_LIMIT", "no"],
    ["VOLLY_RATE_LIMIT_WINDOW_MS", "0"],
    ["VOLLY_RATE_LIMIT_WINDOW_MS", "86400001"],
    ["VOLLY_RATE_LIMIT_ACCOUNT_MAX", "-5"],
    ["VOLLY_RATE_LIMIT_IP_MAX", "lots"],
    ["VOLLY_RATE_LIMIT_IP_MAX", "0"],
    ["VOLLY_TRUST_PROXY", "nginx"],
    ["VOLLY_TRUST_PROXY", "10.0.0.0/33"],
    ["VOLLY_TRUST_PROXY", "127.0.0.1,"],
    ["VOLLY_RATE_LIMIT_ACCOUNT_BYTES", "0"],
    ["VOLLY_RATE_LIMIT_BOT_MAX", "0"],
    ["VOLLY_RATE_LIMIT_HUMAN_MAX", "many"],
    ["VOLLY_RATE_LIMIT_AGENT_MAX", "1000000001"],
    ["VOLLY_RATE_LIMIT_DEVICE_BYTES", "0"],
    ["VOLLY_RATE_LIMIT_SERVICE_BYTES", "1000000000000001"],
    ["VOLLY_GATEWAY_IDENTIFY_TIMEOUT_MS", "0"],
    ["VOLLY_GATEWAY_IDENTIFY_TIMEOUT_MS", "600001"],
    ["VOLLY_GATEWAY_UNAUTHENTICATED_PER_IP", "none"],
    ["VOLLY_GATEWAY_UNAUTHENTICATED_PER_IP", "0"],
    ["VOLLY_ALLOWED_ORIGINS", "chat.example.org"],
    ["VOLLY_ALLOWED_ORIGINS", "https://chat.example.org/app"],
    ["VOLLY_ALLOWED_ORIGINS", "ftp://chat.example.org"],
    ["VOLLY_ALLOWED_ORIGINS", "https://a.example,"],
    ["VOLLY_METRICS_PORT", "70000"],
    ["VOLLY_TLS_CERT_FILE", "/etc/volly/cert.pem"],
    ["VOLLY_TLS_KEY_FILE", "/etc/volly/key.pem"],
    ["VOLLY_QUOTA_ACCOUNT_BYTES", "-1"],
    ["VOLLY_QUOTA_GROUP_BYTES", "1GiB"],
    ["VOLLY_QUOTA_KEY_PACKAGES", "0"],
    ["VOLLY_CLAIM_LIMIT_ONE_TIME", "0"],
    ["VOLLY_CLAIM_LIMIT_WINDOW_MS", "99999999999999999"],
    ["VOLLY_MAX_UPLOAD_BYTES", "0"],
    ["VOLLY_MAX_UPLOAD_BYTES", "100MiB"],
    ["VOLLY_STORAGE_QUOTA_BYTES", "-1"],
    ["VOLLY_UPLOAD_EXPIRY_MS", "0"],
    ["VOLLY_UPLOAD_EXPIRY_MS", "99999999999999"],
  ])("rejects %s=%s with VOLLY_E_USAGE", (name, value) => {
    expect(() => configFromEnv({ [name]: value })).toThrow(
      expect.objectContaining({ code: "VOLLY_E_USAGE" }),
    );
  });

  it("reads the gateway's identify deadline, unauthenticated cap and allowed origins, and the metrics listener", () => {
    const config = configFromEnv({
      VOLLY_GATEWAY_IDENTIFY_TIMEOUT_MS: "5000",
      VOLLY_GATEWAY_UNAUTHENTICATED_PER_IP: "8",
      VOLLY_ALLOWED_ORIGINS: "https://Chat.Example.org:443, http://localhost:5173/",
      VOLLY_METRICS_HOST: "10.0.0.31",
      VOLLY_METRICS_PORT: "9464",
    });
    expect(config).toMatchObject({
      gatewayIdentifyTimeoutMs: 5000,
      gatewayMaxUnauthenticatedPerIp: 8,
      allowedOrigins: ["https://chat.example.org", "http://localhost:5173"],
      metricsHost: "10.0.0.31",
      metricsPort: 9464,
    });
    expect(configFromEnv({}).metricsPort).toBeUndefined();
  });

  it("reads the retention period in days and the pruning interval in ms", () => {
    const config = configFromEnv({ VOLLY_RETENTION_DAYS: "7", VOLLY_PRUNE_INTERVAL_MS: "60000" });
    expect(config).toMatchObject({ retentionMs: 7 * 86_400_000, pruneIntervalMs: 60_000 });
    expect(() => configFromEnv({ VOLLY_RETENTION_DAYS: "-1" })).toThrow(/retention/);
    expect(() => configFromEnv({ VOLLY_PRUNE_INTERVAL_MS: "0" })).toThrow(/interval/);
  });

  it("selects the scaled shape with VOLLY_DATABASE_URL and VOLLY_REDIS_URL; without them, the embedded one", () => {
    const config = configFromEnv({
      VOLLY_DATABASE_URL: "postgres://volly:secret@db.internal:5432/volly",
      VOLLY_REDIS_URL: "redis://redis.internal:6379",
      VOLLY_DATABASE_POOL_SIZE: "25",
    });
    expect(config).toMatchObject({
      databaseUrl: "postgres://volly:secret@db.internal:5432/volly",
      redisUrl: "redis://redis.internal:6379",
      databasePoolSize: 25,
    });
    expect(configFromEnv({ VOLLY_DATABASE_URL: "postgresql://h/db" }).databaseUrl).toBe("postgresql://h/db");
    expect(configFromEnv({ VOLLY_REDIS_URL: "rediss://h:6380" }).redisUrl).toBe("rediss://h:6380");
    expect("databaseUrl" in configFromEnv({ VOLLY_DATABASE_URL: " " })).toBe(false);
    expect(redactUrl("postgres://volly:secret@db:5432/volly")).toBe("postgres://volly:***@db:5432/volly");
  });

  it.each([
    ["VOLLY_DATABASE_URL", "mysql://u:secret@h/db"],
    ["VOLLY_DATABASE_URL", "not a url"],
    ["VOLLY_REDIS_URL", "http://h:6379"],
    ["VOLLY_DATABASE_POOL_SIZE", "0"],
    ["VOLLY_DATABASE_POOL_SIZE", "many"],
  ])("rejects %s=%s with VOLLY_E_USAGE, never echoing the value", (name, value) => {
    let error: unknown;
    try {
      configFromEnv({ [name]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: "VOLLY_E_USAGE" });
    expect(JSON.stringify(error) + String((error as Error).message)).not.toContain("secret");
  });

  it("serves the web app from packages/web/dist by default, or from VOLLY_WEB_DIR made absolute", () => {
    expect(DEFAULT_WEB_DIR).toBe(resolve(fileURLToPath(new URL("../../web/dist", import.meta.url))));
    expect(configFromEnv({ VOLLY_WEB_DIR: "/srv/volly-web" }).webDir).toBe("/srv/volly-web");
    expect(configFromEnv({ VOLLY_WEB_DIR: "web-build" }).webDir).toBe(resolve("web-build"));
    expect(configFromEnv({ VOLLY_WEB_DIR: "/a" }, { webDir: "/b" }).webDir).toBe("/b");
  });

  it("reads VOLLY_* variables and lets overrides win", () => {
    const env = {
      VOLLY_PORT: "8080",
      VOLLY_HOST: "0.0.0.0",
      VOLLY_DATA_DIR: "/var/lib/volly",
      VOLLY_CIPHERSUITE: "MLS_X",
      VOLLY_LOG_LEVEL: "warn",
    };
    expect(configFromEnv(env)).toMatchObject({
      port: 8080,
      host: "0.0.0.0",
      dataDir: "/var/lib/volly",
      ciphersuite: "MLS_X",
      logLevel: "warn",
    });
    expect(configFromEnv(env, { port: 0, logLevel: undefined })).toMatchObject({ port: 0, logLevel: "warn" });
  });

  it.each(["-1", "65536", "80a", "1.5", "http"])("rejects VOLLY_PORT=%s with VOLLY_E_USAGE", (port) => {
    expect(() => configFromEnv({ VOLLY_PORT: port })).toThrow(
      expect.objectContaining({ code: "VOLLY_E_USAGE" }),
    );
  });

  it("rejects an unknown log level and a bad port override with VOLLY_E_USAGE", () => {
    expect(() => configFromEnv({ VOLLY_LOG_LEVEL: "loud" })).toThrow(
      expect.objectContaining({ code: "VOLLY_E_USAGE" }),
    );
    expect(() => configFromEnv({}, { port: 70_000 })).toThrow(
      expect.objectContaining({ code: "VOLLY_E_USAGE" }),
    );
    expect(() => configFromEnv({}, { heartbeatIntervalMs: 0 })).toThrow(
      expect.objectContaining({ code: "VOLLY_E_USAGE" }),
    );
  });
});
