import type { Command } from "commander";
import type { Run } from "../output.js";

/**
 * `volly migrate [--data DIR]`: apply pending database migrations to the configured store and exit —
 * PostgreSQL when VOLLY_DATABASE_URL is set, else the embedded SQLite store in the data directory.
 * Prints `{backend, location, applied}` (`--json`) or one line per migration applied.
 */
export function registerMigrate(program: Command, run: Run) {
  program
    .command("migrate")
    .description("apply pending database migrations and exit (VOLLY_DATABASE_URL or the data directory)")
    .option("--data <dir>", "data directory of the embedded store (default ./volly-data)")
    .action((o: { data?: string }) =>
      run(async (out) => {
        // Loaded on use: the server stack (Fastify, stores) would slow every other command's start.
        const { configFromEnv, migrateConfiguredStore } = await import("@volly/server");
        const config = configFromEnv(process.env, o.data !== undefined ? { dataDir: o.data } : {});
        const result = await migrateConfiguredStore(config);
        const lines = result.applied.map((name) => `applied ${name}`);
        lines.push(
          result.applied.length === 0
            ? `${result.location} (${result.backend}) is up to date`
            : `${result.location} (${result.backend}) migrated`,
        );
        out.result(result, lines.join("\n"));
      }),
    );
}
