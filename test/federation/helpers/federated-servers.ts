import { join } from "node:path";
import type { VollyClient } from "@volly/client";
import { initNodeProfile } from "@volly/client/node";
import { freePort } from "../../../packages/server/test/helpers/redis-server.js";
import { tempDir } from "../../helpers/temp-dir.js";
import { TEST_KDF } from "../../integration/helpers/sdk.js";
import { type ServerProcess, startServerProcess } from "../../integration/helpers/server-process.js";

/** A federated `volly serve` on its own loopback address, with the URL (and name) other servers know it by. */
export interface FederatedServer {
  /** Its name: host:port. */
  name: string;
  url: string;
  host: string;
  port: number;
  dataDir: string;
  env: Record<string, string>;
  process: ServerProcess;
  /** Starts it again (after stop or kill -9) on the same address, port and data. */
  restart(): Promise<void>;
}

/**
 * Starts `volly serve --host <host> --public-url http://<host>:<port>` with its own data directory
 * (and `env`, e.g. VOLLY_DATABASE_URL for PostgreSQL). Mirrors and Welcomes are retried every 500 ms.
 */
export async function startFederatedServer(
  host: string,
  env: Record<string, string> = {},
): Promise<FederatedServer> {
  const port = await freePort(host);
  const url = `http://${host}:${port}`;
  const dataDir = tempDir(`volly-fed-${host}-`);
  const fullEnv = { VOLLY_PUBLIC_URL: url, VOLLY_FEDERATION_POLL_MS: "500", ...env };
  const server: FederatedServer = {
    name: `${host}:${port}`,
    url,
    host,
    port,
    dataDir,
    env: fullEnv,
    process: await startServerProcess(dataDir, port, fullEnv, host),
    async restart() {
      server.process = await startServerProcess(dataDir, port, fullEnv, host);
    },
  };
  return server;
}

/** A Node SDK client registered on `server`. */
export function clientOn(home: string, server: FederatedServer, handle: string): Promise<VollyClient> {
  return initNodeProfile(
    join(home, handle),
    { serverUrl: server.url, handle, pin: "123456", kdf: TEST_KDF },
    { initialBackoffMs: 50, maxBackoffMs: 500 },
  );
}
