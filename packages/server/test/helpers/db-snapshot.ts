import BetterSqlite3 from "better-sqlite3";

/**
 * Every row of every table of the database file (each table the schema has, read from
 * sqlite_master, so a table added by a later migration is covered too), over a separate read-only
 * connection (WAL lets it see every committed transaction). Compare two snapshots to prove nothing
 * changed.
 */
export function snapshotDatabase(file: string): Record<string, unknown[]> {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    const tables = db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
      )
      .pluck()
      .all() as string[];
    return Object.fromEntries(
      tables.map((t) => [t, db.prepare(`SELECT * FROM "${t}" ORDER BY rowid`).all()]),
    );
  } finally {
    db.close();
  }
}

/** Every stored text value of the database file, concatenated: for "the server never stored X" checks. */
export function databaseText(file: string): string {
  return JSON.stringify(snapshotDatabase(file));
}
