import type { Kysely } from "kysely";
import type { AccountStatusesTable, Database } from "../schema.js";
import type { AccountStatusRecord, AccountStatusRepository } from "../types.js";
import { num, numOrNull } from "./rows.js";

const STATUSES = new Set(["online", "idle", "dnd", "invisible"]);

/** A stored row as a record; an unknown status (a newer server's) reads as "online". */
function toRecord(row: AccountStatusesTable): AccountStatusRecord {
  const until = numOrNull(row.until);
  return {
    accountId: row.account_id,
    status: (STATUSES.has(row.status) ? row.status : "online") as AccountStatusRecord["status"],
    ...(row.text !== null ? { text: row.text } : {}),
    ...(until !== null ? { until } : {}),
    setAt: num(row.set_at),
  };
}

/**
 * {@link AccountStatusRepository} over Kysely (table `account_statuses`, migration 0009). `put` is one
 * `INSERT … ON CONFLICT DO UPDATE … WHERE set_at <= excluded.set_at`, so concurrent writers on any
 * node keep the latest.
 */
export function kyselyAccountStatusRepository(db: Kysely<Database>): AccountStatusRepository {
  return {
    async get(accountId) {
      const row = await db
        .selectFrom("account_statuses")
        .selectAll()
        .where("account_id", "=", accountId)
        .executeTakeFirst();
      return row ? toRecord(row) : undefined;
    },
    async put(record) {
      const values = {
        account_id: record.accountId,
        status: record.status,
        text: record.text ?? null,
        until: record.until ?? null,
        set_at: record.setAt,
      };
      await db
        .insertInto("account_statuses")
        .values(values)
        .onConflict((oc) =>
          oc
            .column("account_id")
            .doUpdateSet({
              status: values.status,
              text: values.text,
              until: values.until,
              set_at: values.set_at,
            })
            .where("account_statuses.set_at", "<=", values.set_at),
        )
        .execute();
      return (await this.get(record.accountId)) ?? record;
    },
  };
}
