import { Writable } from "node:stream";
import { DEFAULT_CIPHERSUITE } from "@volly/crypto";
import { newId } from "@volly/protocol";
import type { FastifyInstance } from "fastify";
import { pino } from "pino";
import { expect } from "vitest";
import { buildApp } from "../../src/app.js";
import type { Bus } from "../../src/bus/bus.js";
import { createRedisBus } from "../../src/bus/redis-bus.js";
import { DEFAULT_CONFIG, type ServerConfig } from "../../src/config.js";
import { createMetrics, type Metrics } from "../../src/metrics.js";
import { instrumentStore } from "../../src/store/instrumented-store.js";
import { openPostgresStore } from "../../src/store/postgres-store.js";
import type { Store } from "../../src/store/types.js";
import type { HttpDevice } from "./app.js";
import { newGroupBodies } from "./mls-groups.js";
import { fakeCiphertext } from "./services.js";

/** One in-process server node of a test cluster: its own pool, Redis connections and app, listening. */
export interface ClusterNode {
  app: FastifyInstance;
  /** `http://127.0.0.1:<port>` */
  base: string;
  gatewayUrl: string;
  store: Store;
  bus: Bus;
  metrics: Metrics;
  /** Every log line so far (JSON text). */
  logs(): string;
  /** Closes the app, then the bus and the store. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts a node over PostgreSQL (`databaseUrl`) and Redis (`redisUrl`), as `startServer` does in the
 * scaled shape, on a free loopback port; logs at debug into memory. Uploads go to
 * `./volly-data/blobs` unless `options.config.files.blobDir` says otherwise.
 */
export async function startNode(options: {
  databaseUrl: string;
  redisUrl: string;
  presence?: { refreshIntervalMs?: number; ttlMs?: number };
  /** Fields of the node's config over the defaults (e.g. `files` with a shared blob directory). */
  config?: Partial<ServerConfig>;
}): Promise<ClusterNode> {
  const metrics = createMetrics();
  const store = instrumentStore(await openPostgresStore(options.databaseUrl, { poolSize: 4 }), () =>
    metrics.storeError(),
  );
  const bus = await createRedisBus({
    url: options.redisUrl,
    maxReconnectDelayMs: 100,
    onError: (kind) => metrics.busError(kind),
  });
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const config = {
    ...DEFAULT_CONFIG,
    ciphersuite: DEFAULT_CIPHERSUITE,
    logLevel: "debug" as const,
    webDir: "/nonexistent",
    ...options.config,
  };
  const app = await buildApp({
    config,
    store,
    bus,
    metrics,
    logger: pino({ level: "debug" }, sink),
    ...(options.presence ? { presence: options.presence } : {}),
  });
  const base = await app.listen({ port: 0, host: "127.0.0.1" });
  let closing: Promise<void> | undefined;
  return {
    app,
    base,
    gatewayUrl: `${base.replace("http", "ws")}/v1/gateway`,
    store,
    bus,
    metrics,
    logs: () => lines.join(""),
    close() {
      closing ??= (async () => {
        await app.close();
        await bus.close();
        await store.close();
      })();
      return closing;
    },
  };
}

/** Creates a group owned by `owner` through `node` and adds `members` in one commit (→ epoch 1). */
export async function createGroupVia(
  node: ClusterNode,
  owner: HttpDevice,
  members: HttpDevice[],
): Promise<string> {
  const groupId = newId();
  const bodies = await newGroupBodies(groupId, owner, members);
  const created = await node.app.inject({
    method: "POST",
    url: "/v1/groups",
    headers: owner.auth,
    payload: bodies.create,
  });
  expect(created.statusCode, created.body).toBe(200);
  const commit = await node.app.inject({
    method: "POST",
    url: `/v1/groups/${groupId}/commits`,
    headers: owner.auth,
    payload: bodies.commit,
  });
  expect(commit.statusCode, commit.body).toBe(200);
  return groupId;
}

/** Sends one message through `node` at epoch 1; returns its seq and ciphertext. */
export async function sendVia(
  node: ClusterNode,
  sender: HttpDevice,
  groupId: string,
): Promise<{ seq: number; ciphertext: string }> {
  const ciphertext = fakeCiphertext();
  const res = await node.app.inject({
    method: "POST",
    url: `/v1/groups/${groupId}/messages`,
    headers: sender.auth,
    payload: { messageId: newId(), epoch: 1, ciphertext },
  });
  expect(res.statusCode, res.body).toBe(200);
  return { seq: (res.json() as { seq: number }).seq, ciphertext };
}

/** The value of one sample of a node's metrics (0 when absent), e.g. `volly_messages_out_total{event="GROUP_MESSAGE"}`. */
export async function metricValue(node: ClusterNode, sample: string): Promise<number> {
  const text = await node.metrics.render();
  const line = text.split("\n").find((l) => l.startsWith(`${sample} `));
  return line ? Number(line.slice(sample.length + 1)) : 0;
}
