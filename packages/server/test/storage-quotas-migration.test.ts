import { newId } from "@volly/protocol";
import { type Kysely, Migrator } from "kysely";
import { expect, it } from "vitest";
import { staticMigrationProvider } from "../src/store/migrations/migrate.js";
import { forEachMigrationTarget, type MigrationTarget } from "./helpers/migration-targets.js";

/**
 * Migration 0007 (storage quotas): what a database already holds is counted once — per group
 * everything it holds, per account the log entries and per-device Welcomes its devices sent — and the
 * retention job credits it back when it prunes it.
 */
function describeMigration(target: () => Promise<MigrationTarget>): void {
  it("counts what is already stored, so quotas and pruning start from the truth; survives down and up", async () => {
    const t = await target();
    const [alice, bob, aliceDevice, bobDevice, groupId] = [newId(), newId(), newId(), newId(), newId()];
    let db = t.database();
    try {
      const migrator = new Migrator({ db, provider: staticMigrationProvider });
      expect((await migrator.migrateTo("0006-group-membership-policy")).error).toBeUndefined();
      // As the previous release wrote them (no stored_bytes, no account_id columns yet).
      const legacy = db as unknown as Kysely<Record<string, Record<string, unknown>>>;
      for (const [account, device, handle] of [
        [alice, aliceDevice, "alice"],
        [bob, bobDevice, "bob"],
      ] as const) {
        await legacy
          .insertInto("accounts")
          .values({ id: account, handle, entity_type: "human", created_at: 1 })
          .execute();
        await legacy
          .insertInto("devices")
          .values({
            id: device,
            account_id: account,
            signature_public_key: `k-${handle}`,
            name: "d",
            created_at: 1,
          })
          .execute();
      }
      await legacy
        .insertInto("groups")
        .values({ id: groupId, epoch: 1, last_seq: 3, created_at: 1, membership_policy: "admin" })
        .execute();
      const log = (seq: number, sender: string, payload: string) => ({
        group_id: groupId,
        seq,
        kind: "application",
        message_id: newId(),
        sender_device_id: sender,
        epoch: 1,
        payload,
        created_at: 1,
      });
      await legacy
        .insertInto("group_log")
        .values([
          log(1, aliceDevice, "a".repeat(100)),
          log(2, aliceDevice, "a".repeat(50)),
          log(3, bobDevice, "b".repeat(7)),
        ])
        .execute();
      await legacy
        .insertInto("group_trees")
        .values({ group_id: groupId, epoch: 1, ratchet_tree: "t".repeat(30) })
        .execute();
      await legacy
        .insertInto("group_infos")
        .values({ group_id: groupId, epoch: 1, group_info: "i".repeat(20) })
        .execute();
      await legacy
        .insertInto("commit_welcomes")
        .values({ group_id: groupId, seq: 1, payload: "w".repeat(40) })
        .execute();
      await legacy
        .insertInto("welcomes")
        .values({
          id: newId(),
          device_id: bobDevice,
          group_id: groupId,
          seq: 1,
          epoch: 1,
          sender_device_id: aliceDevice,
          payload: "p".repeat(9),
          created_at: 1,
          acked_at: null,
        })
        .execute();
    } finally {
      await db.destroy();
    }

    const store = await t.store(); // migrates to the latest schema
    try {
      expect(await store.storage.groupBytes(groupId)).toBe(100 + 50 + 7 + 30 + 20 + 40 + 9);
      expect(await store.storage.accountBytes(alice)).toBe(100 + 50 + 9);
      expect(await store.storage.accountBytes(bob)).toBe(7);
      // pruning a legacy entry credits its sender's account and the group
      await store.transaction((tx) => tx.retention.deleteEntries({ groupId, afterSeq: 0, upToSeq: 1 }));
      expect(await store.storage.accountBytes(alice)).toBe(50 + 9);
      expect(await store.storage.groupBytes(groupId)).toBe(50 + 7 + 30 + 20 + 40 + 9);
      expect(await store.retention.groupsToPrune("", 10)).toEqual([
        { id: groupId, epoch: 1, lastSeq: 3, prunedSeq: 0 },
      ]);
    } finally {
      await store.close();
    }

    db = t.database();
    try {
      const migrator = new Migrator({ db, provider: staticMigrationProvider });
      const down = await migrator.migrateTo("0006-group-membership-policy");
      expect(down.results?.map((r) => [r.migrationName, r.status])).toEqual([
        ["0016-remote-communities", "Success"],
        ["0015-account-moves", "Success"],
        ["0014-federation", "Success"],
        ["0013-api-keys", "Success"],
        ["0012-blobs", "Success"],
        ["0011-scheduled-messages", "Success"],
        ["0010-account-recovery", "Success"],
        ["0009-account-statuses", "Success"],
        ["0008-communities", "Success"],
        ["0007-storage-quotas", "Success"],
      ]);
      const tables = await db.introspection.getTables();
      expect(tables.map((table) => table.name)).not.toContain("rate_limits");
      expect(tables.find((table) => table.name === "groups")?.columns.map((c) => c.name)).not.toContain(
        "stored_bytes",
      );
      expect((await migrator.migrateToLatest()).error).toBeUndefined();
    } finally {
      await db.destroy();
    }
    const again = await t.store();
    try {
      expect(await again.storage.accountBytes(alice)).toBe(50 + 9);
    } finally {
      await again.close();
    }
  });
}

forEachMigrationTarget("migration 0007 (storage quotas)", describeMigration);
