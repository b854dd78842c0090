/**
 * Inspection of database driver errors (better-sqlite3 and `pg` codes). Nothing outside `store/`
 * looks at a driver's error codes: repositories translate the ones services care about into
 * {@link StoreConflict}, and the PostgreSQL store retries transient conflicts itself.
 */
import { StoreConflict } from "./store-conflict.js";

/**
 * True when `error` is a PostgreSQL serialization failure (SQLSTATE 40001) or deadlock (40P01): the
 * transaction was rolled back and may simply be run again.
 */
export function isTransientConflict(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return code === "40001" || code === "40P01";
}

/**
 * True when `error` is a unique / primary-key violation from SQLite (better-sqlite3) or
 * PostgreSQL (SQLSTATE 23505).
 */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "23505";
}

/**
 * Runs one write and turns the driver's unique violation into a {@link StoreConflict}; any other
 * error propagates unchanged.
 *
 * @param what the kind of row the write inserts (see {@link StoreConflict.what})
 * @param write the statement, already started
 * @throws StoreConflict when a row with the same unique key exists
 */
export async function conflictAs<T>(what: string, write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    throw isUniqueViolation(error) ? new StoreConflict(what, error) : error;
  }
}
