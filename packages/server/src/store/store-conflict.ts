/**
 * A write collided with a row that already exists under the same unique key: an account's handle or
 * id, a device's signature key or id, a group's id, a message id in a group's log. This is the
 * store-level form of the database driver's unique-violation error (SQLite
 * `SQLITE_CONSTRAINT_UNIQUE`/`_PRIMARYKEY`, PostgreSQL SQLSTATE 23505), which never leaves `store/`:
 * services test `instanceof StoreConflict` and decide what it means (usually: a concurrent request
 * won a race, so answer as if it had been there first).
 *
 * Thrown inside a transaction, it rolls that transaction (or, in a shared transaction, that call's
 * writes: `group-commit.ts`) back like any other error; on PostgreSQL the failed statement has
 * aborted the transaction, so nothing else may run in it.
 */
export class StoreConflict extends Error {
  override readonly name = "StoreConflict";

  /**
   * @param what the kind of row that exists already ("account", "device", "group", "log entry")
   * @param cause the driver's error, kept for logs
   */
  constructor(
    readonly what: string,
    cause?: unknown,
  ) {
    super(`A ${what} with the same unique key exists already.`, { cause });
  }
}
