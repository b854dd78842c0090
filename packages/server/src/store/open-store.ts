import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { redactUrl, type ServerConfig } from "../config.js";
import { openPostgresStore } from "./postgres-store.js";
import { openSqliteStore } from "./sqlite-store.js";
import type { Store } from "./types.js";

/** Which database a configuration selects. */
export type StoreBackend = "sqlite" | "postgresql";

/** The embedded store's database file in a data directory: `${dataDir}/volly.db`. */
export function sqliteFile(dataDir: string): string {
  return join(dataDir, "volly.db");
}

/**
 * Where the configured store lives, for logs and messages: the SQLite file, or the PostgreSQL URL
 * with its password redacted.
 */
export function describeStore(config: ServerConfig): { backend: StoreBackend; location: string } {
  return config.databaseUrl !== undefined
    ? { backend: "postgresql", location: redactUrl(config.databaseUrl) }
    : { backend: "sqlite", location: sqliteFile(config.dataDir) };
}

/**
 * Opens the store a configuration selects, migrated to the latest schema: PostgreSQL when
 * `config.databaseUrl` is set (scaled shape), else SQLite at `${dataDir}/volly.db` (embedded shape;
 * the directory is created if missing).
 *
 * @param onPoolError errors outside any call: of idle pooled connections on PostgreSQL (see
 *   `openPostgresStore`), of the background WAL checkpoint on SQLite
 * @param onStatement called once for every SQL statement the store runs (a metrics hook)
 * @throws Error when the database cannot be opened or reached, or a migration fails
 */
export async function openConfiguredStore(
  config: ServerConfig,
  onPoolError?: (error: Error) => void,
  onStatement?: () => void,
): Promise<Store> {
  if (config.databaseUrl !== undefined) {
    return openPostgresStore(config.databaseUrl, {
      poolSize: config.databasePoolSize,
      ...(onPoolError ? { onPoolError } : {}),
      ...(onStatement ? { onStatement } : {}),
    });
  }
  mkdirSync(config.dataDir, { recursive: true });
  return openSqliteStore(sqliteFile(config.dataDir), {
    ...(onPoolError ? { onCheckpointError: (message: string) => onPoolError(new Error(message)) } : {}),
    ...(onStatement ? { onStatement } : {}),
  });
}
