import type { Command } from "commander";
import type { Run } from "../output.js";

/**
 * `volly backup FILE [--data DIR]`: write an online, consistent copy of the embedded store to FILE
 * (safe while the server runs). With VOLLY_DATABASE_URL set it exits with a usage error that points
 * to pg_dump. Restore: put the copy in a data directory as volly.db and start the server there.
 */
export function registerBackup(program: Command, run: Run) {
  program
    .command("backup")
    .description("write a consistent copy of the embedded store to FILE, also while the server runs")
    .argument("<file>", "the backup file to create (must not exist)")
    .option("--data <dir>", "data directory of the embedded store (default ./volly-data)")
    .action((file: string, o: { data?: string }) =>
      run(async (out) => {
        // Loaded on use: the server stack (Fastify, stores) would slow every other command's start.
        const { backupEmbeddedStore, configFromEnv } = await import("@volly/server");
        const config = configFromEnv(process.env, o.data !== undefined ? { dataDir: o.data } : {});
        const result = await backupEmbeddedStore(config, file);
        out.result(result, `backed up ${result.source} to ${result.file} (${result.bytes} bytes)`);
      }),
    );
}
