import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { canConnect, type ServiceGate, serviceGate } from "./service-gate.js";

/** The redis-server binary (VOLLY_TEST_REDIS_SERVER, default `redis-server` on the PATH). */
export const REDIS_SERVER_BIN = process.env.VOLLY_TEST_REDIS_SERVER || "redis-server";

/** Whether tests that start their own redis-server run (see {@link ServiceGate}). */
export const REDIS_SERVER: ServiceGate = serviceGate(
  spawnSync(REDIS_SERVER_BIN, ["--version"], { stdio: "ignore" }).status === 0,
  `these tests start their own Redis: install redis-server (Debian: apt-get install redis-server) or set VOLLY_TEST_REDIS_SERVER`,
);

/**
 * A free TCP port on `host` (default 127.0.0.1; any loopback address, e.g. a federation test's
 * 127.0.0.2) — free when returned; another process may take it later.
 */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A redis-server process of a test (no persistence), stoppable and restartable on the same port. */
export interface PrivateRedis {
  port: number;
  url: string;
  /** Starts it (again) on the same port; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Kills it (SIGKILL: no goodbye to clients) and waits for the exit. Idempotent. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHook = false;

/**
 * Starts `redis-server --port N --save "" --appendonly no --bind 127.0.0.1` on a free port. Killed by
 * `stop()`, or at the latest when the test process exits.
 */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  if (!exitHook) {
    exitHook = true;
    process.once("exit", () => {
      for (const c of running) c.kill("SIGKILL");
    });
  }
  const redis: PrivateRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      if (child) return;
      const started = spawn(
        REDIS_SERVER_BIN,
        ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        { stdio: "ignore" },
      );
      child = started;
      running.add(started);
      started.once("exit", () => running.delete(started));
      const deadline = Date.now() + 10_000;
      while (!(await canConnect("127.0.0.1", port, 200))) {
        if (Date.now() > deadline || started.exitCode !== null) {
          throw new Error(`redis-server did not start on port ${port}`);
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async stop() {
      const current = child;
      child = undefined;
      if (!current || current.exitCode !== null) return;
      const exited = new Promise((r) => current.once("exit", r));
      current.kill("SIGKILL");
      await exited;
    },
  };
  await redis.start();
  return redis;
}
