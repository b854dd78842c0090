import {
  createTestDatabase,
  POSTGRES,
  type TestDatabase,
} from "../../../packages/server/test/helpers/postgres.js";
import {
  type PrivateRedis,
  REDIS_SERVER,
  startPrivateRedis,
} from "../../../packages/server/test/helpers/redis-server.js";
import { type NodeProcess, startNodeProcess } from "./node-process.js";

export { POSTGRES, REDIS_SERVER };

/** N `volly serve` processes sharing one fresh PostgreSQL database and one private Redis. */
export interface Cluster {
  database: TestDatabase;
  redis: PrivateRedis;
  nodes: NodeProcess[];
  /** Milliseconds from spawning the nodes (all at once: they migrate concurrently) to all listening. */
  startMs: number;
  /** Stops every node (SIGTERM), Redis and drops the database. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts a {@link Cluster}: creates the database, starts a private redis-server on a free port, and
 * spawns `count` nodes at once with VOLLY_DATABASE_URL and VOLLY_REDIS_URL.
 *
 * @param env more environment for every node (e.g. VOLLY_SCHEDULED_POLL_MS)
 */
export async function startCluster(count: number, env: Record<string, string> = {}): Promise<Cluster> {
  POSTGRES.assert();
  REDIS_SERVER.assert();
  const database = await createTestDatabase();
  let redis: PrivateRedis | undefined;
  const nodes: NodeProcess[] = [];
  const close = async () => {
    await Promise.all(nodes.map((n) => n.stop().catch(() => undefined)));
    await redis?.stop();
    await database.drop();
  };
  try {
    redis = await startPrivateRedis();
    const nodeEnv = { ...env, VOLLY_DATABASE_URL: database.url, VOLLY_REDIS_URL: redis.url };
    const started = Date.now();
    const spawned = await Promise.allSettled(Array.from({ length: count }, () => startNodeProcess(nodeEnv)));
    for (const s of spawned) if (s.status === "fulfilled") nodes.push(s.value);
    const failed = spawned.find((s) => s.status === "rejected");
    if (failed) throw failed.reason;
    return { database, redis, nodes, startMs: Date.now() - started, close };
  } catch (error) {
    await close();
    throw error;
  }
}
