import { mkdirSync } from "node:fs";
import type { Kysely } from "kysely";
import type { ServerConfig } from "./config.js";
import { migrateToLatest } from "./store/migrations/migrate.js";
import { describeStore, type StoreBackend, sqliteFile } from "./store/open-store.js";
import { openPostgresDatabase } from "./store/postgres-store.js";
import type { Database } from "./store/schema.js";
import { openSqliteDatabase } from "./store/sqlite-store.js";

/** What {@link migrateConfiguredStore} did. */
export interface MigrateResult {
  backend: StoreBackend;
  /** The SQLite file, or the PostgreSQL URL with its password redacted. */
  location: string;
  /** Migrations applied by this run, in order (empty when the schema was already up to date). */
  applied: string[];
}

/**
 * Applies every pending migration to the store a configuration selects and closes it — what
 * `volly migrate` runs (servers also migrate when they start). PostgreSQL when `config.databaseUrl`
 * is set, else SQLite at `${dataDir}/volly.db` (the directory and file are created if missing). Safe
 * while servers run and when several migrations start at once (see `migrateToLatest`).
 *
 * @throws Error when the database cannot be opened or reached, or a migration fails (rolled back)
 */
export async function migrateConfiguredStore(config: ServerConfig): Promise<MigrateResult> {
  const { backend, location } = describeStore(config);
  if (config.databaseUrl === undefined) mkdirSync(config.dataDir, { recursive: true });
  const db: Kysely<Database> =
    config.databaseUrl !== undefined
      ? openPostgresDatabase(config.databaseUrl, { poolSize: 2 })
      : openSqliteDatabase(sqliteFile(config.dataDir));
  try {
    return { backend, location, applied: await migrateToLatest(db) };
  } finally {
    await db.destroy();
  }
}
