import BetterSqlite3 from "better-sqlite3";
import { Kysely, type SqliteDatabase, SqliteDialect, type SqliteStatement } from "kysely";
import { createKyselyStore } from "./kysely-store.js";
import { migrateToLatest } from "./migrations/migrate.js";
import type { Database } from "./schema.js";
import type { Store } from "./types.js";
import { startWalCheckpointer } from "./wal-checkpointer.js";

/** Prepared statements kept per database (the store issues a few dozen distinct SQL texts). */
const STATEMENT_CACHE_SIZE = 500;

/**
 * The database as Kysely's SqliteDialect sees it, with prepared statements reused: Kysely prepares
 * every query it runs, and preparing costs more than running the small indexed queries the store
 * issues. Evicts the oldest statement beyond {@link STATEMENT_CACHE_SIZE} texts.
 */
function withStatementCache(sqlite: BetterSqlite3.Database): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    prepare(sqlText) {
      let stmt = cache.get(sqlText);
      if (!stmt) {
        stmt = sqlite.prepare(sqlText);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
        cache.set(sqlText, stmt);
      }
      return stmt as unknown as SqliteStatement;
    },
    close() {
      cache.clear();
      sqlite.close();
    },
  };
}

/** How long a connection waits on another process's write lock before SQLITE_BUSY (ms). */
export const SQLITE_BUSY_TIMEOUT_MS = 5_000;

/**
 * Opens (creating if needed) the SQLite database at `file` with the durability pragmas, without
 * migrating it: `journal_mode=WAL` (readers never block the writer), `synchronous=FULL` (a committed
 * transaction survives power loss — the delivery service acknowledges messages only once durable),
 * `foreign_keys=ON`, `busy_timeout` = {@link SQLITE_BUSY_TIMEOUT_MS}.
 *
 * @param file path of the database file (its directory must exist); ":memory:" works for experiments
 * @param options.onStatement called once for every statement run (queries, savepoints, BEGIN,
 *   COMMIT): a metrics hook
 * @throws Error when the file cannot be opened
 */
export function openSqliteDatabase(
  file: string,
  options: { onStatement?: () => void } = {},
): Kysely<Database> {
  const sqlite = new BetterSqlite3(file);
  try {
    sqlite.pragma("journal_mode = WAL");
    sqlite.pragma("synchronous = FULL");
    sqlite.pragma("foreign_keys = ON");
    sqlite.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  } catch (error) {
    sqlite.close();
    throw error;
  }
  const { onStatement } = options;
  return new Kysely<Database>({
    dialect: new SqliteDialect({ database: withStatementCache(sqlite) }),
    ...(onStatement ? { log: () => onStatement() } : {}),
  });
}

/**
 * Opens (creating if needed) the SQLite database at `file` (see {@link openSqliteDatabase}), applies
 * every pending migration, and returns a {@link Store} over it — the embedded shape's store. Its
 * WAL is checkpointed by a worker thread (see wal-checkpointer.ts), stopped by `close()`.
 *
 * @param file path of the database file (its directory must exist); ":memory:" works for experiments
 * @param options.onCheckpointError called with the message of a failed background checkpoint
 * @param options.onStatement called once for every statement run (see {@link openSqliteDatabase})
 * @throws Error when the file cannot be opened or a migration fails
 */
export async function openSqliteStore(
  file: string,
  options: { onCheckpointError?: (message: string) => void; onStatement?: () => void } = {},
): Promise<Store> {
  const db = openSqliteDatabase(file, options.onStatement ? { onStatement: options.onStatement } : {});
  try {
    await migrateToLatest(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  const store = createKyselyStore(db);
  if (file === ":memory:") return store;
  const checkpointer = startWalCheckpointer(file, options.onCheckpointError);
  return {
    ...store,
    async close() {
      await checkpointer.stop();
      await store.close();
    },
  };
}
