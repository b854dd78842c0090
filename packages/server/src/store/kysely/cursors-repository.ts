import type { Kysely } from "kysely";
import type { Database } from "../schema.js";
import type { CursorPosition, CursorRepository } from "../types.js";
import { num } from "./rows.js";

/** Rows per multi-row upsert (3 parameters each: within SQLite's and PostgreSQL's limits). */
const UPSERT_CHUNK = 500;

/** {@link CursorRepository} over Kysely. */
export function kyselyCursorRepository(db: Kysely<Database>): CursorRepository {
  const upsert = async (rows: readonly CursorPosition[]) => {
    if (rows.length === 0) return;
    await db
      .insertInto("cursors")
      .values(rows.map((r) => ({ device_id: r.deviceId, group_id: r.groupId, seq: r.seq })))
      .onConflict((oc) =>
        oc
          .columns(["device_id", "group_id"])
          .doUpdateSet((eb) => ({ seq: eb.ref("excluded.seq") }))
          .whereRef("cursors.seq", "<", "excluded.seq"),
      )
      .execute();
  };
  return {
    async find(deviceId, groupId) {
      const row = await db
        .selectFrom("cursors")
        .select("seq")
        .where("device_id", "=", deviceId)
        .where("group_id", "=", groupId)
        .executeTakeFirst();
      return row && num(row.seq);
    },
    async listForDevice(deviceId) {
      const rows = await db
        .selectFrom("cursors")
        .select(["group_id", "seq"])
        .where("device_id", "=", deviceId)
        .execute();
      return new Map(rows.map((r) => [r.group_id, num(r.seq)]));
    },
    async advance(deviceId, groupId, seq) {
      await upsert([{ deviceId, groupId, seq }]);
    },
    async advanceMany(rows) {
      for (let i = 0; i < rows.length; i += UPSERT_CHUNK) await upsert(rows.slice(i, i + UPSERT_CHUNK));
    },
  };
}
