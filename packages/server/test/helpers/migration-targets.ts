import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe } from "vitest";
import { removableTempDir } from "../../../../test/helpers/temp-dir.js";
import { openPostgresDatabase, openPostgresStore } from "../../src/store/postgres-store.js";
import type { Database } from "../../src/store/schema.js";
import { openSqliteDatabase, openSqliteStore } from "../../src/store/sqlite-store.js";
import type { Store } from "../../src/store/types.js";
import { createTestDatabase, POSTGRES, type TestDatabase } from "./postgres.js";

/**
 * Where one backend's empty (unmigrated) database lives: how to open it as a store (which migrates it
 * to the latest version) and as a bare Kysely database (to migrate step by step and write rows as an
 * older release did).
 */
export interface MigrationTarget {
  store(): Promise<Store>;
  database(): Kysely<Database>;
}

/**
 * Runs a migration's `suite` twice: in `describe("<title> on SQLite")` with a new database file per
 * target, and in `describe("<title> on PostgreSQL")` with a new database per target (skipped when
 * PostgreSQL is unreachable, failing under CI=true — see `POSTGRES`). Everything created is removed
 * after the block.
 */
export function forEachMigrationTarget(
  title: string,
  suite: (target: () => Promise<MigrationTarget>) => void,
): void {
  describe(`${title} on SQLite`, () => {
    const dirs: (() => void)[] = [];
    afterAll(() => {
      for (const remove of dirs) remove();
    });
    suite(async () => {
      const { dir, remove } = removableTempDir();
      dirs.push(remove);
      const file = `${dir}/volly.db`;
      return { store: () => openSqliteStore(file), database: () => openSqliteDatabase(file) };
    });
  });

  describe.skipIf(!POSTGRES.run)(`${title} on PostgreSQL`, () => {
    const databases: TestDatabase[] = [];
    beforeAll(() => POSTGRES.assert());
    afterAll(async () => {
      for (const database of databases) await database.drop();
    });
    suite(async () => {
      const database = await createTestDatabase();
      databases.push(database);
      return {
        store: () => openPostgresStore(database.url, { poolSize: 2 }),
        database: () => openPostgresDatabase(database.url, { poolSize: 1 }),
      };
    });
  });
}
