import type { Kysely } from "kysely";
import type { Database } from "../schema.js";
import type { CursorRepository } from "../types.js";
import { num } from "./rows.js";

/** {@link CursorRepository} over Kysely. */
export function kyselyCursorRepository(db: Kysely<Database>): CursorRepository {
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
      await db
        .insertInto("cursors")
        .values({ device_id: deviceId, group_id: groupId, seq })
        .onConflict((oc) =>
          oc
            .columns(["device_id", "group_id"])
            .doUpdateSet((eb) => ({ seq: eb.ref("excluded.seq") }))
            .whereRef("cursors.seq", "<", "excluded.seq"),
        )
        .execute();
    },
  };
}
