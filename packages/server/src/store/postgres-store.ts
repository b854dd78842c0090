import { CompiledQuery, Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { isTransientConflict } from "./driver-errors.js";
import { createKyselyStore } from "./kysely-store.js";
import { migrateToLatest } from "./migrations/migrate.js";
import type { Database } from "./schema.js";
import type { Store } from "./types.js";

/**
 * The transaction-scoped advisory lock every shared batch takes first (see `createGroupCommit`): the
 * key is the text "volly:group-commit" hashed by PostgreSQL, the same on every node.
 */
const BATCH_LOCK = CompiledQuery.raw("select pg_advisory_xact_lock(hashtext('volly:group-commit'))");

/** Options of the PostgreSQL store. */
export interface PostgresStoreOptions {
  /** Connections the pool opens at most. Default 10. */
  poolSize?: number;
  /** Server-side `statement_timeout` of every connection (ms): a stuck query fails instead of hanging. Default 15000. */
  statementTimeoutMs?: number;
  /** How long acquiring a connection may take before the query fails (ms). Default 10000. */
  connectionTimeoutMs?: number;
  /**
   * Called with errors of idle pooled connections (the server restarted, the network dropped). The
   * pool discards such a connection and opens a new one when needed; without a listener the error
   * would crash the process.
   */
  onPoolError?: (error: Error) => void;
  /** Called once for every statement sent (queries, savepoints, BEGIN, COMMIT): a metrics hook. */
  onStatement?: () => void;
}

/**
 * Opens a Kysely instance over a `pg` connection pool for `url`, without migrating. Every connection
 * gets `statement_timeout` and `idle_in_transaction_session_timeout` (60 s, so a transaction left
 * open by a dying request cannot hold row locks for long) and `application_name=volly`. BIGINT columns
 * come back from `pg` as strings; the repositories' row mappers convert them (see `kysely/rows.ts`).
 *
 * @param url `postgres://user:password@host:port/database` (libpq-style query options such as
 *   `sslmode` are passed to `pg`)
 */
export function openPostgresDatabase(url: string, options: PostgresStoreOptions = {}): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    statement_timeout: options.statementTimeoutMs ?? 15_000,
    idle_in_transaction_session_timeout: 60_000,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
    idleTimeoutMillis: 30_000,
    application_name: "volly",
  });
  pool.on("error", (error) => options.onPoolError?.(error));
  const { onStatement } = options;
  return new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    ...(onStatement ? { log: () => onStatement() } : {}),
  });
}

/**
 * Opens the scaled shape's store: PostgreSQL through a bounded `pg` pool (see
 * {@link openPostgresDatabase}), every pending migration applied (safe when several nodes start at
 * once: the migrator takes an advisory lock), the same repository code as SQLite. Shared
 * transactions (message appends, cursor advances) are group-committed as on SQLite — the calls
 * arriving together run in one transaction, a failing call undoing only its own writes — and every
 * such batch first takes the advisory lock {@link BATCH_LOCK}, so the batches of several nodes,
 * which lock several groups' and accounts' rows in arrival order, run one at a time instead of
 * deadlocking. A message's append and its sender's account charge are one statement
 * (`LogRepository.appendCharging`), and in a batch run without savepoints its sends' allocations
 * are one statement at the batch's end, and their appends with the membership checks another
 * (`DeferredSends`). Transactions run at READ COMMITTED; the invariants that span
 * statements rely on row locks taken by conditional updates (`groups` row: epoch check, seq
 * allocation) and on unique constraints, and a transaction that hits a deadlock or serialization
 * failure (SQLSTATE 40P01 / 40001) is run again up to 3 times.
 *
 * @param url `postgres://user:password@host:port/database`
 * @throws Error when the database cannot be reached or a migration fails (the pool is closed then)
 */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<Store> {
  const db = openPostgresDatabase(url, options);
  try {
    await migrateToLatest(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return createKyselyStore(db, {
    retryable: isTransientConflict,
    batchLock: BATCH_LOCK,
    multiStatement: true,
    modifyingWith: true,
    deferSends: true,
  });
}
