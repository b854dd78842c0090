import { newId } from "@volly/protocol";
import { type Kysely, Migrator } from "kysely";
import { expect, it } from "vitest";
import { staticMigrationProvider } from "../src/store/migrations/migrate.js";
import type { Database } from "../src/store/schema.js";
import { forEachMigrationTarget, type MigrationTarget } from "./helpers/migration-targets.js";

/** The groups table as the release before migration 0006 had it. */
type LegacyDatabase = Kysely<{ groups: { id: string; epoch: number; last_seq: number; created_at: number } }>;

const columnsOfGroups = async (db: Kysely<Database>) =>
  (await db.introspection.getTables()).find((t) => t.name === "groups")?.columns.map((c) => c.name) ?? [];

/**
 * Migration 0006 (groups.membership_policy): groups created before it follow the "admin" policy —
 * the rules every group followed until then — and going down and up again keeps them working.
 */
function describeMigration(target: () => Promise<MigrationTarget>): void {
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

forEachMigrationTarget("migration 0006 (groups.membership_policy)", describeMigration);
