import { newId } from "@volly/protocol";
import { type Kysely, Migrator, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removableTempDir } from "../../../test/helpers/temp-dir.js";
import { staticMigrationProvider } from "../src/store/migrations/migrate.js";
import { openPostgresDatabase, openPostgresStore } from "../src/store/postgres-store.js";
import type { Database } from "../src/store/schema.js";
import { openSqliteDatabase, openSqliteStore } from "../src/store/sqlite-store.js";
import type { Store } from "../src/store/types.js";
import { createTestDatabase, POSTGRES, type TestDatabase } from "./helpers/postgres.js";

/** Where one backend's database lives: how to open it as a store and as a bare Kysely database. */
interface Target {
  store(): Promise<Store>;
  database(): Kysely<Database>;
}

/**
 * Migration 0005 (one Welcome per commit): going back down copies each shared Welcome into the inbox
 * entries that refer to it, so an older server still serves them; going up again works.
 */
function describeDown(target: () => Target): void {
  it("down copies the shared Welcome into each inbox entry and drops commit_welcomes; up again works", async () => {
    const t = target();
    let store = await t.store();
    const [alice, bob, carol] = [newId(), newId(), newId()];
    const groupId = newId();
    await store.transaction(async (tx) => {
      for (const [i, deviceId] of [alice, bob, carol].entries()) {
        const accountId = newId();
        await tx.accounts.insert({ id: accountId, handle: `user${i}`, entityType: "human", createdAt: 1 });
        await tx.devices.insert({
          id: deviceId,
          accountId,
          signaturePublicKey: newId(),
          name: "d",
          createdAt: 1,
        });
      }
      await tx.groups.insert({ id: groupId, epoch: 1, lastSeq: 1, createdAt: 1, membershipPolicy: "admin" });
      await tx.groups.addMembers(groupId, [alice], 0);
      await tx.groups.addMembers(groupId, [bob, carol], 1);
      const entry = (deviceId: string) => ({
        id: newId(),
        deviceId,
        groupId,
        seq: 1,
        epoch: 1,
        senderDeviceId: alice,
        createdAt: 2,
      });
      await tx.welcomes.insertShared("shared-welcome", [entry(bob), entry(carol)]);
    });
    await store.close();

    const db = t.database();
    try {
      const migrator = new Migrator({ db, provider: staticMigrationProvider });
      // Down to the release before 0005 (later migrations first).
      const down = await migrator.migrateTo("0004-group-admins-info");
      expect(down.error).toBeUndefined();
      expect(down.results?.map((r) => r.migrationName)).toEqual([
        "0016-remote-communities",
        "0015-account-moves",
        "0014-federation",
        "0013-api-keys",
        "0012-blobs",
        "0011-scheduled-messages",
        "0010-account-recovery",
        "0009-account-statuses",
        "0008-communities",
        "0007-storage-quotas",
        "0006-group-membership-policy",
        "0005-commit-welcomes",
      ]);
      const rows = await db
        .selectFrom("welcomes")
        .select(["device_id", "payload"])
        .orderBy("device_id")
        .execute();
      expect(rows.map((r) => r.payload)).toEqual(["shared-welcome", "shared-welcome"]);
      const tables = await db.introspection.getTables();
      expect(tables.map((table) => table.name)).not.toContain("commit_welcomes");
      expect((await migrator.migrateToLatest()).error).toBeUndefined();
      await sql`SELECT 1 FROM commit_welcomes`.execute(db);
    } finally {
      await db.destroy();
    }
    store = await t.store();
    try {
      expect((await store.welcomes.listPending(carol))[0]?.payload).toBe("shared-welcome");
    } finally {
      await store.close();
    }
  });
}

describe("migration 0005 (commit_welcomes) on SQLite", () => {
  const { dir, remove } = removableTempDir();
  afterAll(() => remove());
  describeDown(() => {
    const file = `${dir}/volly.db`;
    return { store: () => openSqliteStore(file), database: () => openSqliteDatabase(file) };
  });
});

describe.skipIf(!POSTGRES.run)("migration 0005 (commit_welcomes) on PostgreSQL", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    POSTGRES.assert();
    database = await createTestDatabase();
  });
  afterAll(() => database?.drop());
  describeDown(() => ({
    store: () => openPostgresStore(database.url, { poolSize: 2 }),
    database: () => openPostgresDatabase(database.url, { poolSize: 1 }),
  }));
});
