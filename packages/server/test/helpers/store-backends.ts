import BetterSqlite3 from "better-sqlite3";
import { afterAll, beforeAll, describe } from "vitest";
import { removableTempDir } from "../../../../test/helpers/temp-dir.js";
import { openPostgresStore } from "../../src/store/postgres-store.js";
import { openSqliteStore } from "../../src/store/sqlite-store.js";
import type { Store } from "../../src/store/types.js";
import { createTestDatabase, POSTGRES, queryOnce, type TestDatabase } from "./postgres.js";

/** Every table of the schema, children first (for TRUNCATE). */
export const TABLES = [
  "message_blobs",
  "blobs",
  "scheduled_messages",
  "account_statuses",
  "community_audit_log",
  "community_invites",
  "community_bans",
  "channel_overwrites",
  "community_channels",
  "community_member_roles",
  "community_roles",
  "community_members",
  "communities",
  "rate_limits",
  "device_links",
  "group_admins",
  "group_infos",
  "cursors",
  "commit_welcomes",
  "welcomes",
  "group_trees",
  "group_log",
  "group_members",
  "groups",
  "key_packages",
  "sessions",
  "auth_nonces",
  "devices",
  "accounts",
] as const;

/** A fresh, empty, migrated database opened as a store, plus ways to open it again. */
export interface OpenedStore {
  store: Store;
  /** Opens the same database again (e.g. after `store.close()`); closed by {@link close}. */
  reopen(): Promise<Store>;
  /**
   * Opens another store over the same database, as a second server node would (its own connection
   * pool). Undefined for SQLite: the embedded shape has one process per database file.
   */
  peer?: () => Promise<Store>;
  /** How many rows a table holds, read past the store (e.g. to check what is stored once). */
  count(table: (typeof TABLES)[number]): Promise<number>;
  /** Closes every store opened through this object and removes what it created. */
  close(): Promise<void>;
}

/** A database engine the store conformance suite (and the service tests) run against. */
export interface StoreBackend {
  name: "SQLite" | "PostgreSQL";
  /** Opens a fresh empty migrated store. Only valid inside {@link forEachBackend}'s describe. */
  fresh(): Promise<OpenedStore>;
}

/** SQLite: a new temp file for every fresh store. */
export function sqliteBackend(): StoreBackend {
  return {
    name: "SQLite",
    async fresh() {
      const { dir, remove } = removableTempDir();
      const file = `${dir}/volly.db`;
      const stores: Store[] = [await openSqliteStore(file)];
      return {
        store: stores[0]!,
        async reopen() {
          const store = await openSqliteStore(file);
          stores.push(store);
          return store;
        },
        async count(table) {
          const db = new BetterSqlite3(file, { readonly: true });
          try {
            return Number(db.prepare(`SELECT count(*) FROM "${table}"`).pluck().get());
          } finally {
            db.close();
          }
        },
        async close() {
          for (const s of stores) await s.close().catch(() => {});
          remove();
        },
      };
    },
  };
}

/** PostgreSQL: one database per describe block (created in beforeAll), truncated for every fresh store. */
function postgresBackend(): StoreBackend & { setup(): Promise<void>; teardown(): Promise<void> } {
  let database: TestDatabase | undefined;
  return {
    name: "PostgreSQL",
    async setup() {
      POSTGRES.assert();
      database = await createTestDatabase();
      await (await openPostgresStore(database.url, { poolSize: 2 })).close();
    },
    async teardown() {
      await database?.drop();
    },
    async fresh() {
      if (!database) throw new Error("the PostgreSQL backend is not set up");
      const url = database.url;
      await queryOnce(url, `TRUNCATE ${TABLES.join(", ")} CASCADE`);
      const stores: Store[] = [];
      const open = async () => {
        const store = await openPostgresStore(url, { poolSize: 4 });
        stores.push(store);
        return store;
      };
      return {
        store: await open(),
        reopen: open,
        peer: open,
        async count(table) {
          const [row] = await queryOnce<{ n: string }>(url, `SELECT count(*) AS n FROM "${table}"`);
          return Number(row?.n);
        },
        async close() {
          for (const s of stores) await s.close().catch(() => {});
        },
      };
    },
  };
}

/**
 * Runs `suite` once per backend, each inside `describe(backend.name)`: SQLite always; PostgreSQL when
 * reachable (skipped with a hint otherwise, failing under CI=true — see `POSTGRES`).
 */
export function forEachBackend(suite: (backend: StoreBackend) => void): void {
  describe("SQLite", () => suite(sqliteBackend()));
  describe.skipIf(!POSTGRES.run)("PostgreSQL", () => {
    const backend = postgresBackend();
    beforeAll(() => backend.setup());
    afterAll(() => backend.teardown());
    suite(backend);
  });
}
