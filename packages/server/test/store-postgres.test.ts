import { DEFAULT_CIPHERSUITE } from "@volly/crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInProcessBus } from "../src/bus/in-process-bus.js";
import { DEFAULT_CONFIG } from "../src/config.js";
import { migrateConfiguredStore } from "../src/migrate.js";
import { createServices } from "../src/services/services.js";
import { MIGRATIONS } from "../src/store/migrations/migrate.js";
import { openPostgresDatabase, openPostgresStore } from "../src/store/postgres-store.js";
import { createTestDatabase, POSTGRES, queryOnce, type TestDatabase } from "./helpers/postgres.js";

describe.skipIf(!POSTGRES.run)(
  "PostgreSQL store (scaled shape; shared behaviour is in store-conformance.test.ts)",
  () => {
    const databases: TestDatabase[] = [];
    const fresh = async () => {
      const db = await createTestDatabase();
      databases.push(db);
      return db;
    };
    beforeAll(() => POSTGRES.assert());
    afterAll(async () => {
      for (const db of databases) await db.drop();
    });

    it("survives several nodes migrating one empty database at the same time (Kysely's advisory lock)", async () => {
      const db = await fresh();
      const stores = await Promise.all(
        Array.from({ length: 4 }, () => openPostgresStore(db.url, { poolSize: 2 })),
      );
      await Promise.all(stores.map((s) => s.close()));
      const applied = await queryOnce<{ name: string }>(
        db.url,
        "SELECT name FROM kysely_migration ORDER BY name",
      );
      expect(applied.map((r) => r.name)).toEqual(Object.keys(MIGRATIONS).sort());
    });

    it("`volly migrate` applies pending migrations once and then reports the schema up to date", async () => {
      const db = await fresh();
      const config = { ...DEFAULT_CONFIG, databaseUrl: db.url };
      const first = await migrateConfiguredStore(config);
      expect(first).toEqual({
        backend: "postgresql",
        location: db.url,
        applied: Object.keys(MIGRATIONS).sort(),
      });
      expect((await migrateConfiguredStore(config)).applied).toEqual([]);
    });

    it("bounds every connection: statement timeout, idle-in-transaction timeout, application name", async () => {
      const db = await fresh();
      const kysely = openPostgresDatabase(db.url, { statementTimeoutMs: 1_234, poolSize: 1 });
      try {
        const show = async (name: string) =>
          (await sql<Record<string, string>>`select current_setting(${name}) as v`.execute(kysely)).rows[0]
            ?.v;
        expect(await show("statement_timeout")).toBe("1234ms");
        expect(await show("idle_in_transaction_session_timeout")).toBe("1min");
        expect(await show("application_name")).toBe("volly");
        await expect(sql`select pg_sleep(2)`.execute(kysely)).rejects.toThrow(/statement timeout/);
      } finally {
        await kysely.destroy();
      }
    });

    it("runs a transaction again after a deadlock or serialization failure, at most 3 times", async () => {
      const db = await fresh();
      const store = await openPostgresStore(db.url, { poolSize: 2 });
      try {
        let attempts = 0;
        const result = await store.transaction(async (tx) => {
          attempts++;
          await tx.accounts.insert({
            id: `a${attempts}`,
            handle: `h${attempts}`,
            entityType: "human",
            createdAt: 1,
          });
          if (attempts === 1) throw Object.assign(new Error("deadlock detected"), { code: "40P01" });
          return "done";
        });
        expect({ result, attempts }).toEqual({ result: "done", attempts: 2 });
        expect(await store.accounts.findByHandle("h1")).toBeUndefined(); // the first attempt rolled back
        attempts = 0;
        await expect(
          store.transaction(async () => {
            attempts++;
            throw Object.assign(new Error("could not serialize access"), { code: "40001" });
          }),
        ).rejects.toThrow("serialize");
        expect(attempts).toBe(3);
      } finally {
        await store.close();
      }
    });

    it("a batch of sends costs a few statements in all: their allocations, membership checks and appends are deferred to its end", async () => {
      const db = await fresh();
      let statements = 0;
      const store = await openPostgresStore(db.url, { poolSize: 2, onStatement: () => statements++ });
      try {
        const { delivery } = createServices(
          { store, bus: createInProcessBus(), now: Date.now },
          DEFAULT_CIPHERSUITE,
        );
        const senders = Array.from({ length: 4 }, (_, i) => ({
          accountId: `a${i}`,
          deviceId: `d${i}`,
          handle: `h${i}`,
        }));
        for (const { accountId, deviceId, handle } of senders) {
          await store.accounts.insert({ id: accountId, handle, entityType: "human", createdAt: 1 });
          await store.devices.insert({
            id: deviceId,
            accountId,
            signaturePublicKey: `k${deviceId}`,
            name: handle,
            createdAt: 1,
          });
        }
        await store.groups.insert({ id: "g", epoch: 0, lastSeq: 0, createdAt: 1, membershipPolicy: "admin" });
        await store.groups.addMembers(
          "g",
          senders.map((s) => s.deviceId),
          0,
        );
        const count = 40;
        const send = (i: number) => {
          const { deviceId, accountId, handle } = senders[i % senders.length] as (typeof senders)[number];
          const body = { messageId: `m${i}`, epoch: 0, ciphertext: `c${i}` };
          return delivery.sendMessage(deviceId, "g", body, { accountId, handle });
        };
        // the group's first send: its allocation names the group's policy, so the next are deferred whole
        await send(count);
        statements = 0;
        const answers = await Promise.all(Array.from({ length: count }, (_, i) => send(i)));
        expect(answers.map((a) => a.seq)).toEqual(Array.from({ length: count }, (_, i) => i + 2));
        // per batch: BEGIN, the batch lock, the two deferred statements (allocation; append with the
        // membership check) and COMMIT; 3 per message before (123 for these 40)
        expect(statements).toBeLessThanOrEqual(2 * 5);
        expect(await store.storage.accountBytes("a0")).toBe(
          Array.from({ length: count + 1 }, (_, i) => i)
            .filter((i) => i % 4 === 0)
            .reduce((n, i) => n + `c${i}`.length, 0),
        );
      } finally {
        await store.close();
      }
    });

    it("fails fast with the driver's error when the database does not exist", async () => {
      const url = new URL((await fresh()).url);
      url.pathname = "/volly_test_does_not_exist";
      await expect(openPostgresStore(url.toString())).rejects.toThrow(/does not exist/);
    });
  },
);
