import type { Stores } from "../stores.js";
import { messageBodyMigration } from "./message-body.js";
import type { StoreMigration } from "./store-migration.js";

/** Every migration of the local store's record formats, in version order (1, 2, …). */
export const STORE_MIGRATIONS: readonly StoreMigration[] = [messageBodyMigration];

/** The record-format version this SDK writes: the last migration's. */
export const STORE_SCHEMA_VERSION = STORE_MIGRATIONS.length;

/** What {@link migrateStores} did. */
export interface MigrationReport {
  /** The schema version found (0: a store written before versions were recorded). */
  from: number;
  /** The schema version afterwards. */
  to: number;
  /** Names of the migrations that ran, in order. */
  applied: string[];
}

/**
 * Brings an unlocked profile's records to {@link STORE_SCHEMA_VERSION}: runs every migration newer
 * than the stored schema version, in order, recording each version once it is done (so each runs
 * once; one interrupted by a crash runs again, and migrations are idempotent). A store written by a
 * newer SDK (a higher version) is left as it is. Throws what a migration's store access throws.
 *
 * @param migrations the migrations to apply (default: all of this SDK's)
 */
export async function migrateStores(
  stores: Stores,
  migrations: readonly StoreMigration[] = STORE_MIGRATIONS,
): Promise<MigrationReport> {
  const from = (await stores.schemaVersion.get()) ?? 0;
  let version = from;
  const applied: string[] = [];
  for (const migration of migrations) {
    if (migration.version <= version) continue;
    if (migration.version !== version + 1) {
      throw new Error(
        `Store migration ${migration.name} skips from version ${version} to ${migration.version}.`,
      );
    }
    await migration.run(stores);
    // A migration may rewrite message rows (MessageStore.rewrite, which no watcher sees): the
    // conversation list's cached summaries, which hold messages, are counted again from the rows.
    const batch = stores.schemaVersion.put(stores.batch(), migration.version);
    await stores.timelineSummaries.clear(batch).commit();
    version = migration.version;
    applied.push(migration.name);
  }
  return { from, to: version, applied };
}
