import type { Command } from "commander";
import { parseNonNegativeInt } from "../options.js";
import type { Run } from "../output.js";

/**
 * `volly serve [--port] [--host] [--data] [--public-url] [--federation-allow] [--federation-block]`:
 * run a Volly server node. Embedded shape (SQLite in the
 * data directory, in-process bus) by default; the scaled shape when VOLLY_DATABASE_URL (PostgreSQL)
 * and VOLLY_REDIS_URL (Redis) are set — see docs/deployment.md. Pending migrations apply on start.
 */
export function registerServe(program: Command, run: Run) {
  program
    .command("serve")
    .description(
      "run a Volly server (env: VOLLY_PORT, VOLLY_HOST, VOLLY_DATA_DIR; VOLLY_DATABASE_URL=postgres://… " +
        "and VOLLY_REDIS_URL=redis://… select the scaled shape)",
    )
    .option("--port <port>", "TCP port (default 7777; 0 picks a free one)")
    .option("--host <host>", "address to listen on (default 127.0.0.1)")
    .option("--data <dir>", "data directory (default ./volly-data)")
    .option(
      "--public-url <url>",
      "this server's public origin, e.g. https://chat.example.org; its host[:port] is the server's name and turns federation on (env VOLLY_PUBLIC_URL)",
    )
    .option(
      "--federation-allow <servers>",
      "federate only with these servers (comma-separated names, env VOLLY_FEDERATION_ALLOW)",
    )
    .option("--federation-block <servers>", "never federate with these servers (env VOLLY_FEDERATION_BLOCK)")
    .action(
      (o: {
        port?: string;
        host?: string;
        data?: string;
        publicUrl?: string;
        federationAllow?: string;
        federationBlock?: string;
      }) =>
        run(async () => {
          // Loaded on use: the server stack (Fastify, stores) would slow every other command's start.
          const { configFromEnv, runServer } = await import("@volly/server");
          const env = {
            ...process.env,
            ...(o.publicUrl !== undefined ? { VOLLY_PUBLIC_URL: o.publicUrl } : {}),
            ...(o.federationAllow !== undefined ? { VOLLY_FEDERATION_ALLOW: o.federationAllow } : {}),
            ...(o.federationBlock !== undefined ? { VOLLY_FEDERATION_BLOCK: o.federationBlock } : {}),
          };
          const config = configFromEnv(env, {
            ...(o.port !== undefined ? { port: parseNonNegativeInt("port", o.port, 65_535) } : {}),
            ...(o.host !== undefined ? { host: o.host } : {}),
            ...(o.data !== undefined ? { dataDir: o.data } : {}),
          });
          await runServer(config);
        }),
    );
}
