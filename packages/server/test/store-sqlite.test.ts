import BetterSqlite3 from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { removableTempDir } from "../../../test/helpers/temp-dir.js";
import { MIGRATIONS } from "../src/store/migrations/migrate.js";
import { openSqliteStore } from "../src/store/sqlite-store.js";
import { TABLES } from "./helpers/store-backends.js";

describe("SQLite store (embedded shape; shared behaviour is in store-conformance.test.ts)", () => {
  it("creates the schema and applies WAL, foreign keys and full sync", async () => {
    const { dir, remove } = removableTempDir();
    try {
      const file = `${dir}/volly.db`;
      await (await openSqliteStore(file)).close();
      await (await openSqliteStore(file)).close(); // migrating twice is a no-op
      const raw = new BetterSqlite3(file, { readonly: true });
      try {
        expect(raw.pragma("journal_mode", { simple: true })).toBe("wal");
        const tables = raw
          .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
          .all()
          .map((r) => (r as { name: string }).name);
        for (const t of TABLES) expect(tables).toContain(t);
        const migrations = raw.prepare("SELECT name FROM kysely_migration").all();
        expect(migrations).toEqual(
          Object.keys(MIGRATIONS)
            .sort()
            .map((name) => ({ name })),
        );
      } finally {
        raw.close();
      }
    } finally {
      remove();
    }
  });
});
