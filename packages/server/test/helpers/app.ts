import { Writable } from "node:stream";
import { DEFAULT_CIPHERSUITE } from "@volly/crypto";
import { signingInput } from "@volly/protocol";
import type { FastifyInstance } from "fastify";
import { pino } from "pino";
import { removableTempDir } from "../../../../test/helpers/temp-dir.js";
import { buildApp } from "../../src/app.js";
import { createInProcessBus } from "../../src/bus/in-process-bus.js";
import { DEFAULT_CONFIG, type ServerConfig } from "../../src/config.js";
import { buildMetricsApp } from "../../src/http/metrics-app.js";
import { createMetrics } from "../../src/metrics.js";
import { openSqliteStore } from "../../src/store/sqlite-store.js";
import type { Store } from "../../src/store/types.js";
import { newKeys, registrationBody, signB64, type TestKeys, uniqueHandle } from "./identity.js";
import { rememberDevice } from "./mls-groups.js";

/** An app over a real SQLite file, with its logs captured in memory. */
export interface AppFixture {
  app: FastifyInstance;
  /** The metrics listener's app (GET /metrics), over the same metrics as `app`; not listening. */
  metricsApp: FastifyInstance;
  store: Store;
  file: string;
  /** Every log line written so far (JSON text). */
  logs: () => string;
  close: () => Promise<void>;
}

/**
 * Builds the app (not listening) over a temp SQLite store; logs at debug into memory. The web app
 * directory does not exist unless `overrides.webDir` says otherwise.
 */
export async function appFixture(overrides: Partial<ServerConfig> = {}): Promise<AppFixture> {
  const { dir, remove } = removableTempDir();
  const file = `${dir}/volly.db`;
  const store = await openSqliteStore(file);
  const bus = createInProcessBus();
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const config: ServerConfig = {
    ...DEFAULT_CONFIG,
    dataDir: dir,
    ciphersuite: DEFAULT_CIPHERSUITE,
    logLevel: "debug",
    webDir: `${dir}/no-web-app`,
    ...overrides,
  };
  const logger = pino({ level: "debug" }, sink);
  const metrics = createMetrics();
  const app = await buildApp({ config, store, bus, logger, metrics });
  const metricsApp = await buildMetricsApp({ metrics, logger });
  return {
    app,
    metricsApp,
    store,
    file,
    logs: () => lines.join(""),
    async close() {
      await app.close();
      await metricsApp.close();
      await bus.close();
      await store.close();
      remove();
    },
  };
}

/** A device registered and logged in over REST. */
export interface HttpDevice {
  accountId: string;
  deviceId: string;
  handle: string;
  keys: TestKeys;
  token: string;
  /** `Authorization` header value. */
  auth: { authorization: string };
}

/** Registers an account over REST and opens a bearer session for its device. */
export async function registerOverHttp(app: FastifyInstance, handle = uniqueHandle()): Promise<HttpDevice> {
  const keys = newKeys();
  const reg = await app.inject({
    method: "POST",
    url: "/v1/accounts",
    payload: registrationBody(handle, keys),
  });
  if (reg.statusCode !== 200) throw new Error(`register failed: ${reg.body}`);
  const { accountId, deviceId } = reg.json() as { accountId: string; deviceId: string };
  const token = await sessionOverHttp(app, deviceId, keys);
  rememberDevice({ accountId, deviceId, keys });
  return { accountId, deviceId, handle, keys, token, auth: { authorization: `Bearer ${token}` } };
}

/** Challenge + session over REST; returns the token. */
export async function sessionOverHttp(
  app: FastifyInstance,
  deviceId: string,
  keys: TestKeys,
): Promise<string> {
  const challenge = await app.inject({ method: "POST", url: "/v1/auth/challenge", payload: { deviceId } });
  const { nonce } = challenge.json() as { nonce: string };
  const session = await app.inject({
    method: "POST",
    url: "/v1/auth/session",
    payload: { deviceId, nonce, signature: signB64(keys, signingInput.session(nonce)) },
  });
  if (session.statusCode !== 200) throw new Error(`session failed: ${session.body}`);
  return (session.json() as { token: string }).token;
}
