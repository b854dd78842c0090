import type { Kysely } from "kysely";
import type { Database } from "../schema.js";
import type { StorageRepository } from "../types.js";
import type { PreparedQueries, QueryTemplate } from "./prepared-queries.js";
import { num } from "./rows.js";

/**
 * Hot path: every message appended charges its sender's account — one statement, the account found
 * by a subquery on the device's primary key.
 */
const CHARGE_ACCOUNT_OF: QueryTemplate<{ id: string; stored_bytes: number }> = (db, [bytes, deviceId]) =>
  db
    .updateTable("accounts")
    .set((eb) => ({ stored_bytes: eb("stored_bytes", "+", eb.cast<number>(eb.val(bytes), "bigint")) }))
    .where("id", "=", (eb) =>
      eb
        .selectFrom("devices")
        .select("devices.account_id")
        .where("devices.id", "=", deviceId as string),
    )
    .returning(["id", "stored_bytes"]);

/** Hot path: a message whose sender's account is known (authenticated) charges it by primary key. */
const CHARGE_ACCOUNT: QueryTemplate<{ stored_bytes: number }> = (db, [bytes, accountId]) =>
  db
    .updateTable("accounts")
    .set((eb) => ({ stored_bytes: eb("stored_bytes", "+", eb.cast<number>(eb.val(bytes), "bigint")) }))
    .where("id", "=", accountId as string)
    .returning("stored_bytes");

/** {@link StorageRepository} over Kysely (columns `accounts.stored_bytes`, `groups.stored_bytes`; migration 0007). */
export function kyselyStorageRepository(db: Kysely<Database>, prepared: PreparedQueries): StorageRepository {
  return {
    async chargeGroup(groupId, bytes) {
      const row = await db
        .updateTable("groups")
        .set((eb) => ({ stored_bytes: eb("stored_bytes", "+", bytes) }))
        .where("id", "=", groupId)
        .returning("stored_bytes")
        .executeTakeFirst();
      return row && num(row.stored_bytes);
    },
    async chargeAccountOf(deviceId, bytes) {
      const [row] = (await prepared.execute(db, CHARGE_ACCOUNT_OF, [bytes, deviceId])).rows;
      return row && { accountId: row.id, storedBytes: num(row.stored_bytes) };
    },
    async chargeAccount(accountId, bytes) {
      const [row] = (await prepared.execute(db, CHARGE_ACCOUNT, [bytes, accountId])).rows;
      return row && num(row.stored_bytes);
    },
    async accountBytes(accountId) {
      const row = await db
        .selectFrom("accounts")
        .select("stored_bytes")
        .where("id", "=", accountId)
        .executeTakeFirst();
      return row ? num(row.stored_bytes) : 0;
    },
    async groupBytes(groupId) {
      const row = await db
        .selectFrom("groups")
        .select("stored_bytes")
        .where("id", "=", groupId)
        .executeTakeFirst();
      return row ? num(row.stored_bytes) : 0;
    },
  };
}

/** Bytes to credit back after a deletion: per group and per account. */
export interface StorageCredit {
  groups: Map<string, number>;
  accounts: Map<string, number>;
}

/** An empty {@link StorageCredit}. */
export function emptyCredit(): StorageCredit {
  return { groups: new Map(), accounts: new Map() };
}

/** Adds `bytes` to `key`'s entry of `map` (nothing for 0 bytes or a null key). */
export function addCredit(map: Map<string, number>, key: string | null | undefined, bytes: number): void {
  if (key === null || key === undefined || bytes === 0) return;
  map.set(key, (map.get(key) ?? 0) + bytes);
}

/**
 * Subtracts deleted rows' bytes from their groups' and accounts' `stored_bytes`: groups first, then
 * accounts, each in id order — the order every writer locks them in (a send locks its group's row,
 * then its account's), so this cannot deadlock with them on PostgreSQL. Call it in the transaction of
 * the deletion.
 */
export async function applyCredit(db: Kysely<Database>, credit: StorageCredit): Promise<void> {
  const sorted = (map: Map<string, number>) => [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [id, bytes] of sorted(credit.groups)) {
    await db
      .updateTable("groups")
      .set((eb) => ({ stored_bytes: eb("stored_bytes", "-", bytes) }))
      .where("id", "=", id)
      .execute();
  }
  for (const [id, bytes] of sorted(credit.accounts)) {
    await db
      .updateTable("accounts")
      .set((eb) => ({ stored_bytes: eb("stored_bytes", "-", bytes) }))
      .where("id", "=", id)
      .execute();
  }
}
