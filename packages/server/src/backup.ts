import { existsSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { VollyError } from "@volly/protocol";
import BetterSqlite3 from "better-sqlite3";
import type { ServerConfig } from "./config.js";
import { sqliteFile } from "./store/open-store.js";

/** What {@link backupEmbeddedStore} wrote. */
export interface BackupResult {
  /** The live database that was copied. */
  source: string;
  /** The backup file (absolute). */
  file: string;
  /** Size of the backup file (bytes). */
  bytes: number;
  /** Database pages copied. */
  pages: number;
}

/** How the PostgreSQL store is backed up instead (printed by `volly backup`, detailed in docs/deployment.md). */
export const PG_DUMP_HINT =
  'The PostgreSQL store is backed up with pg_dump, e.g. pg_dump --format=custom --file=volly.dump "$VOLLY_DATABASE_URL", ' +
  "and restored with pg_restore into an empty database (see docs/deployment.md).";

/**
 * Writes an online, consistent copy of the embedded store (`${dataDir}/volly.db`) to `file` with
 * SQLite's online backup API (better-sqlite3 `db.backup`). Safe while the server runs: the database
 * is opened read-only from this process and copied in one step from one read snapshot (in WAL mode
 * the server keeps writing meanwhile; what it commits after the snapshot is not in the copy). The
 * copy is written next to `file` under a temporary name, checked with `PRAGMA quick_check`, and only
 * then renamed to `file`, so `file` is either absent or a complete backup.
 *
 * Restore: stop the server, put the backup in place as `${dataDir}/volly.db` (removing any
 * `volly.db-wal` and `volly.db-shm` left there), start the server.
 *
 * @param file where the backup goes; its directory must exist and the file must not
 * @throws VollyError VOLLY_E_USAGE when the configuration selects PostgreSQL (see {@link PG_DUMP_HINT}),
 *   when there is no database in the data directory, when `file` exists or its directory does not,
 *   or when the copy fails its integrity check
 */
export async function backupEmbeddedStore(config: ServerConfig, file: string): Promise<BackupResult> {
  if (config.databaseUrl !== undefined) throw new VollyError("VOLLY_E_USAGE", PG_DUMP_HINT);
  const source = resolve(sqliteFile(config.dataDir));
  const target = resolve(file);
  if (!existsSync(source)) {
    throw new VollyError("VOLLY_E_USAGE", `There is no Volly database at ${source}.`, { source });
  }
  if (existsSync(target)) {
    throw new VollyError("VOLLY_E_USAGE", `${target} exists; choose a new file name.`, { file: target });
  }
  if (!existsSync(dirname(target)) || !statSync(dirname(target)).isDirectory()) {
    throw new VollyError("VOLLY_E_USAGE", `The directory of ${target} does not exist.`, { file: target });
  }
  const partial = `${target}.partial-${process.pid}`;
  const db = new BetterSqlite3(source, { readonly: true, fileMustExist: true });
  let pages: number;
  try {
    // One step copies every page from one snapshot; smaller steps would restart whenever the
    // running server commits in between.
    const meta = await db.backup(partial, { progress: () => Number.MAX_SAFE_INTEGER });
    pages = meta.totalPages;
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  } finally {
    db.close();
  }
  const copy = new BetterSqlite3(partial, { fileMustExist: true });
  try {
    const check = copy.pragma("quick_check", { simple: true });
    if (check !== "ok") {
      throw new VollyError("VOLLY_E_USAGE", "The backup copy failed its integrity check.", { check });
    }
    // A self-contained file: no -wal/-shm beside it (the server turns WAL back on when it opens it).
    copy.pragma("journal_mode = DELETE");
  } catch (error) {
    copy.close();
    rmSync(partial, { force: true });
    throw error;
  }
  copy.close();
  renameSync(partial, target);
  return { source, file: target, bytes: statSync(target).size, pages };
}
