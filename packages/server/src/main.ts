import type { ServerConfig } from "./config.js";
import { type RunningServer, startServer } from "./start-server.js";

/**
 * Runs the server as the process's main job (what `volly serve` calls): starts it, and on SIGTERM or
 * SIGINT drains it (see {@link RunningServer.close}) and exits with status 0 (1 if draining fails).
 *
 * @returns the running server (for callers that want its URL)
 * @throws whatever {@link startServer} throws (VOLLY_E_USAGE, listen errors)
 */
export async function runServer(config: ServerConfig): Promise<RunningServer> {
  const server = await startServer(config);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  return server;
}
