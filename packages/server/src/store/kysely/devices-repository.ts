import type { EntityType } from "@volly/protocol";
import type { Kysely } from "kysely";
import { conflictAs } from "../driver-errors.js";
import type { Database } from "../schema.js";
import type { DeviceRecord, DeviceRepository } from "../types.js";
import type { PreparedQueries, QueryTemplate } from "./prepared-queries.js";
import { num, numOrNull } from "./rows.js";

/** Hot path: every authenticated REST request and gateway IDENTIFY reads its device. */
const FIND_BY_ID: QueryTemplate<
  Database["devices"] & { handle: string; entity_type: string; display_name: string | null }
> = (db, [id]) =>
  db
    .selectFrom("devices")
    .innerJoin("accounts", "accounts.id", "devices.account_id")
    .selectAll("devices")
    .select(["accounts.handle", "accounts.entity_type", "accounts.display_name"])
    .where("devices.id", "=", id as string)
    .limit(1);

/** {@link DeviceRepository} over Kysely. */
export function kyselyDeviceRepository(db: Kysely<Database>, prepared: PreparedQueries): DeviceRepository {
  const toRecord = (r: Database["devices"]): DeviceRecord => ({
    id: r.id,
    accountId: r.account_id,
    signaturePublicKey: r.signature_public_key,
    name: r.name,
    createdAt: num(r.created_at),
    ...(numOrNull(r.revoked_at) !== null ? { revokedAt: num(r.revoked_at as number) } : {}),
  });
  return {
    async insert(d) {
      await conflictAs(
        "device",
        db
          .insertInto("devices")
          .values({
            id: d.id,
            account_id: d.accountId,
            signature_public_key: d.signaturePublicKey,
            name: d.name,
            created_at: d.createdAt,
            revoked_at: d.revokedAt ?? null,
          })
          .execute(),
      );
    },
    async findById(id) {
      const [row] = (await prepared.execute(db, FIND_BY_ID, [id])).rows;
      return (
        row && {
          ...toRecord(row),
          handle: row.handle,
          // Registration validated it against the EntityType schema.
          entityType: row.entity_type as EntityType,
          ...(row.display_name !== null ? { displayName: row.display_name } : {}),
        }
      );
    },
    async findBySignatureKey(key) {
      const row = await db
        .selectFrom("devices")
        .selectAll()
        .where("signature_public_key", "=", key)
        .executeTakeFirst();
      return row && toRecord(row);
    },
    async listByAccount(accountId) {
      const rows = await db
        .selectFrom("devices")
        .selectAll()
        .where("account_id", "=", accountId)
        .orderBy("created_at")
        .orderBy("id")
        .execute();
      return rows.map(toRecord);
    },
    async existing(ids) {
      const found = new Set<string>();
      // Chunked to stay under SQLite's bound-parameter limit.
      for (let i = 0; i < ids.length; i += 500) {
        const chunk = ids.slice(i, i + 500);
        const rows = await db
          .selectFrom("devices")
          .select("id")
          .where("id", "in", chunk)
          .where("revoked_at", "is", null)
          .execute();
        for (const r of rows) found.add(r.id);
      }
      return found;
    },
    async findMany(ids) {
      const out: DeviceRecord[] = [];
      for (let i = 0; i < ids.length; i += 500) {
        const rows = await db
          .selectFrom("devices")
          .selectAll()
          .where("id", "in", ids.slice(i, i + 500))
          .execute();
        out.push(...rows.map(toRecord));
      }
      return out;
    },
    async accountsOf(ids) {
      const found = new Map<string, string>();
      for (let i = 0; i < ids.length; i += 500) {
        const rows = await db
          .selectFrom("devices")
          .select(["id", "account_id"])
          .where("id", "in", ids.slice(i, i + 500))
          .where("revoked_at", "is", null)
          .execute();
        for (const r of rows) found.set(r.id, r.account_id);
      }
      return found;
    },
    async revoke(id, at) {
      const result = await db
        .updateTable("devices")
        .set({ revoked_at: at })
        .where("id", "=", id)
        .where("revoked_at", "is", null)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },
  };
}
