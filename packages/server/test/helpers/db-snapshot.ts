import BetterSqlite3 from "better-sqlite3";

const TABLES = [
  "accounts",
  "devices",
  "auth_nonces",
  "sessions",
  "key_packages",
  "groups",
  "group_members",
  "group_log",
  "group_trees",
  "welcomes",
  "cursors",
  "group_admins",
  "group_infos",
] as const;

/**
 * Every row of every table of the database file, read over a separate read-only connection (WAL
 * lets it see every committed transaction). Compare two snapshots to prove nothing changed.
 */
export function snapshotDatabase(file: string): Record<string, unknown[]> {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    return Object.fromEntries(TABLES.map((t) => [t, db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all()]));
  } finally {
    db.close();
  }
}

/** Every stored text value of the database file, concatenated: for "the server never stored X" checks. */
export function databaseText(file: string): string {
  return JSON.stringify(snapshotDatabase(file));
}
