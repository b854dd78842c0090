import { newId } from "@volly/protocol";
import { type Kysely, Migrator } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removableTempDir } from "../../../test/helpers/temp-dir.js";
import { staticMigrationProvider } from "../src/store/migrations/migrate.js";
import { openPostgresDatabase, openPostgresStore } from "../src/store/postgres-store.js";
import type { Database } from "../src/store/schema.js";
import { openSqliteDatabase, openSqliteStore } from "../src/store/sqlite-store.js";
import type { Store } from "../src/store/types.js";
import { createTestDatabase, POSTGRES, type TestDatabase } from "./helpers/postgres.js";

/** Where one backend's (empty) database lives: how to open it as a store and as a bare Kysely database. */
interface Target {
  store(): Promise<Store>;
  database(): Kysely<Database>;
}

/** The groups table as the release before migration 0006 had it. */
type LegacyDatabase = Kysely<{ groups: { id: string; epoch: number; last_seq: number; created_at: number } }>;

const columnsOfGroups = async (db: Kysely<Database>) =>
  (await db.introspection.getTables()).find((t) => t.name === "groups")?.columns.map((c) => c.name) ?? [];

/**
 * Migration 0006 (groups.membership_policy): groups created before it follow the "admin" policy —
 * the rules every group followed until then — and going down and up again keeps them working.
 */
function describeMigration(target: () => Promise<Target>): void {
  it("gives existing groups the admin policy, returns it with each seq, and survives down and up", async () => {
    const t = await target();
    const groupId = newId();
    let db = t.database();
    try {
      const migrator = new Migrator({ db, provider: staticMigrationProvider });
      expect((await migrator.migrateTo("0005-commit-welcomes")).error).toBeUndefined();
      await (db as unknown as LegacyDatabase)
        .insertInto("groups")
        .values({ id: groupId, epoch: 2, last_seq: 5, created_at: 1 })
        .execute();
    } finally {
      await db.destroy();
    }

    let store = await t.store(); // migrates to the latest schema
    try {
      expect(await store.groups.find(groupId)).toEqual({
        id: groupId,
        epoch: 2,
        lastSeq: 5,
        createdAt: 1,
        membershipPolicy: "admin",
      });
      expect(await store.transaction((tx) => tx.groups.nextSeq(groupId))).toEqual({
        epoch: 2,
        lastSeq: 6,
        membershipPolicy: "admin",
        storedBytes: 0,
      });
    } finally {
      await store.close();
    }

    db = t.database();
    try {
      const migrator = new Migrator({ db, provider: staticMigrationProvider });
      const down = await migrator.migrateTo("0005-commit-welcomes");
      expect(down.results?.map((r) => [r.migrationName, r.status])).toContainEqual([
        "0006-group-membership-policy",
        "Success",
      ]);
      expect(await columnsOfGroups(db)).not.toContain("membership_policy");
      expect((await migrator.migrateToLatest()).error).toBeUndefined();
      expect(await columnsOfGroups(db)).toContain("membership_policy");
    } finally {
      await db.destroy();
    }
    store = await t.store();
    try {
      expect((await store.groups.find(groupId))?.membershipPolicy).toBe("admin");
    } finally {
      await store.close();
    }
  });

  it("refuses to read a group whose policy this server does not know, and allocates no seq for it", async () => {
    const t = await target();
    const store = await t.store();
    const groupId = newId();
    try {
      await store.groups.insert({
        id: groupId,
        epoch: 0,
        lastSeq: 0,
        createdAt: 1,
        membershipPolicy: "admin",
      });
      const db = t.database();
      try {
        // As a newer release could write it: a policy this one has no rules for.
        await db
          .updateTable("groups")
          .set({ membership_policy: "from-a-newer-release" })
          .where("id", "=", groupId)
          .execute();
      } finally {
        await db.destroy();
      }
      await expect(store.groups.find(groupId)).rejects.toThrow(/unknown membership policy/);
      await expect(store.transaction((tx) => tx.groups.nextSeq(groupId))).rejects.toThrow(
        /unknown membership policy/,
      );
      const db2 = t.database();
      try {
        const row = await db2
          .selectFrom("groups")
          .select("last_seq")
          .where("id", "=", groupId)
          .executeTakeFirst();
        expect(Number(row?.last_seq)).toBe(0);
      } finally {
        await db2.destroy();
      }
    } finally {
      await store.close();
    }
  });
}

describe("migration 0006 (groups.membership_policy) on SQLite", () => {
  const dirs: (() => void)[] = [];
  afterAll(() => {
    for (const remove of dirs) remove();
  });
  describeMigration(async () => {
    const { dir, remove } = removableTempDir();
    dirs.push(remove);
    const file = `${dir}/volly.db`;
    return { store: () => openSqliteStore(file), database: () => openSqliteDatabase(file) };
  });
});

describe.skipIf(!POSTGRES.run)("migration 0006 (groups.membership_policy) on PostgreSQL", () => {
  const databases: TestDatabase[] = [];
  beforeAll(() => POSTGRES.assert());
  afterAll(async () => {
    for (const database of databases) await database.drop();
  });
  describeMigration(async () => {
    const database = await createTestDatabase();
    databases.push(database);
    return {
      store: () => openPostgresStore(database.url, { poolSize: 2 }),
      database: () => openPostgresDatabase(database.url, { poolSize: 1 }),
    };
  });
});
