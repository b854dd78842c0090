import { join } from "node:path";
import { messageText } from "@volly/client";
import { openNodeClient, openProfileStore } from "@volly/client/node";
import { storeSchemaVersion } from "@volly/client/testing";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../../test/helpers/temp-dir.js";
import { migrateStores, STORE_SCHEMA_VERSION } from "../src/storage/migrations/migrations.js";
import type { StoreMigration } from "../src/storage/migrations/store-migration.js";
import { SqliteClientStore } from "../src/storage/sqlite-client-store.js";
import { Stores } from "../src/storage/stores.js";
import { Vault } from "../src/storage/vault.js";
import { writeLegacyProfile } from "./fixtures/legacy-profile.js";
import { useTestServer } from "./helpers.js";

function freshStores(): Stores {
  return new Stores(
    new Vault(new SqliteClientStore(join(tempDir("volly-migrate-"), "volly.db")), new Uint8Array(32).fill(3)),
  );
}

/** A migration that counts its runs in the `recoveries` record (any sealed record would do). */
function counting(version: number, name: string, log: string[], fail = { times: 0 }): StoreMigration {
  return {
    version,
    name,
    async run(stores) {
      if (fail.times > 0) {
        fail.times--;
        throw new Error(`${name} interrupted`);
      }
      log.push(name);
      const runs = (await stores.recoveries.get()) ?? 0;
      await stores.recoveries.put(stores.batch(), runs + 1).commit();
    },
  };
}

describe("client store migrations (a schema version record; run on unlock, in order, each once)", () => {
  it("runs pending migrations in order and records each version, so a second unlock runs none", async () => {
    const stores = freshStores();
    const log: string[] = [];
    const migrations = [counting(1, "one", log), counting(2, "two", log), counting(3, "three", log)];
    expect(await migrateStores(stores, migrations)).toEqual({
      from: 0,
      to: 3,
      applied: ["one", "two", "three"],
    });
    expect(await migrateStores(stores, migrations)).toEqual({ from: 3, to: 3, applied: [] });
    expect(log).toEqual(["one", "two", "three"]);
    expect(await stores.schemaVersion.get()).toBe(3);
  });

  it("a migration that fails keeps the version before it and runs again at the next unlock", async () => {
    const stores = freshStores();
    const log: string[] = [];
    const flaky = { times: 1 };
    const migrations = [counting(1, "one", log), counting(2, "two", log, flaky)];
    await expect(migrateStores(stores, migrations)).rejects.toThrow("two interrupted");
    expect(await stores.schemaVersion.get()).toBe(1);
    expect(await migrateStores(stores, migrations)).toEqual({ from: 1, to: 2, applied: ["two"] });
    expect(log).toEqual(["one", "two"]);
  });

  it("refuses a list of migrations with a gap", async () => {
    const stores = freshStores();
    await expect(migrateStores(stores, [counting(2, "two", [])])).rejects.toThrow(
      /skips from version 0 to 2/,
    );
    expect(await stores.schemaVersion.get()).toBeUndefined();
  });

  it("a profile written by an older release (no schema version, messages with `text`) opens with text bodies", async () => {
    const dir = tempDir("volly-legacy-");
    const raw = openProfileStore(dir);
    const legacy = await writeLegacyProfile(raw);
    await raw.close();

    const client = await openNodeClient(dir, legacy.pin);
    try {
      expect(await storeSchemaVersion(client)).toBe(STORE_SCHEMA_VERSION);
      const history = await client.messaging.history(legacy.conversationId);
      expect(history.map((m) => m.id)).toEqual(legacy.messageIds);
      expect(history.map((m) => m.body)).toEqual(legacy.texts.map((text) => ({ type: "text", text })));
      expect(history.some((m) => "text" in m)).toBe(false);
      const [summary] = await client.conversations.summaries();
      expect(summary?.lastMessage && messageText(summary.lastMessage)).toBe(legacy.texts.at(-1));
    } finally {
      await client.close();
    }

    // Migrated once: reopening finds version 1 and the same records.
    const again = await openNodeClient(dir, legacy.pin);
    try {
      expect(await storeSchemaVersion(again)).toBe(STORE_SCHEMA_VERSION);
      expect((await again.messaging.history(legacy.conversationId)).map(messageText)).toEqual(legacy.texts);
    } finally {
      await again.close();
    }
  });
});

describe("a new profile", () => {
  const bed = useTestServer();

  it("starts at the current schema version (nothing to migrate)", async () => {
    const [alice] = await bed.clients("alice");
    expect(await storeSchemaVersion(alice!)).toBe(STORE_SCHEMA_VERSION);
  });
});
