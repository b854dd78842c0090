import type { Kysely, Selectable } from "kysely";
import { conflictAs } from "../driver-errors.js";
import type { Database } from "../schema.js";
import type { AccountRecord, AccountRepository } from "../types.js";
import { num } from "./rows.js";

/** {@link AccountRepository} over Kysely. */
export function kyselyAccountRepository(db: Kysely<Database>): AccountRepository {
  const toRecord = (r: Selectable<Database["accounts"]>): AccountRecord => ({
    id: r.id,
    handle: r.handle,
    entityType: r.entity_type,
    createdAt: num(r.created_at),
    ...(r.display_name !== null ? { displayName: r.display_name } : {}),
  });
  return {
    async insert(a) {
      await conflictAs(
        "account",
        db
          .insertInto("accounts")
          .values({
            id: a.id,
            handle: a.handle,
            entity_type: a.entityType,
            created_at: a.createdAt,
            display_name: a.displayName ?? null,
          })
          .execute(),
      );
    },
    async findById(id) {
      const row = await db.selectFrom("accounts").selectAll().where("id", "=", id).executeTakeFirst();
      return row && toRecord(row);
    },
    async setDisplayName(id, displayName) {
      await db.updateTable("accounts").set({ display_name: displayName }).where("id", "=", id).execute();
    },
    async findByHandle(handle) {
      const row = await db.selectFrom("accounts").selectAll().where("handle", "=", handle).executeTakeFirst();
      return row && toRecord(row);
    },
  };
}
