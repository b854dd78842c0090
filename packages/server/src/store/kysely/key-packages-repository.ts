import type { Kysely } from "kysely";
import type { Database } from "../schema.js";
import type { KeyPackageRecord, KeyPackageRepository } from "../types.js";
import { num } from "./rows.js";

/** {@link KeyPackageRepository} over Kysely. */
export function kyselyKeyPackageRepository(db: Kysely<Database>): KeyPackageRepository {
  const toRecord = (r: Database["key_packages"]): KeyPackageRecord => ({
    ref: r.ref,
    deviceId: r.device_id,
    data: r.data,
    lastResort: num(r.last_resort) === 1,
    createdAt: num(r.created_at),
  });
  return {
    async insertMany(packages) {
      for (const p of packages) {
        await db
          .insertInto("key_packages")
          .values({
            ref: p.ref,
            device_id: p.deviceId,
            data: p.data,
            last_resort: p.lastResort ? 1 : 0,
            claimed_by: null,
            claimed_at: null,
            created_at: p.createdAt,
          })
          .onConflict((oc) => oc.column("ref").doNothing())
          .execute();
      }
    },
    async deleteUnclaimed(deviceId) {
      await db
        .deleteFrom("key_packages")
        .where("device_id", "=", deviceId)
        .where("claimed_by", "is", null)
        .execute();
    },
    async lockPool(deviceId) {
      // A no-op update: it takes the device row's lock on PostgreSQL until the transaction ends.
      await db
        .updateTable("devices")
        .set((eb) => ({ name: eb.ref("name") }))
        .where("id", "=", deviceId)
        .execute();
    },
    async deleteLastResort(deviceId) {
      await db
        .deleteFrom("key_packages")
        .where("device_id", "=", deviceId)
        .where("last_resort", "=", 1)
        .execute();
    },
    async count(deviceId) {
      const rows = await db
        .selectFrom("key_packages")
        .select((eb) => ["last_resort", eb.fn.countAll<number | string>().as("n")])
        .where("device_id", "=", deviceId)
        .where("claimed_by", "is", null)
        .groupBy("last_resort")
        .execute();
      const count = (lastResort: number) => num(rows.find((r) => num(r.last_resort) === lastResort)?.n ?? 0);
      return { available: count(0), hasLastResort: count(1) > 0 };
    },
    async claimOneTime(deviceId, claimerDeviceId, now) {
      // Portable "pick one and claim it": select a candidate, then claim it with a conditional update;
      // if another transaction claimed it first (possible on PostgreSQL), try the next one.
      for (;;) {
        const candidate = await db
          .selectFrom("key_packages")
          .selectAll()
          .where("device_id", "=", deviceId)
          .where("last_resort", "=", 0)
          .where("claimed_by", "is", null)
          .orderBy("created_at")
          .orderBy("ref")
          .limit(1)
          .executeTakeFirst();
        if (!candidate) return undefined;
        const result = await db
          .updateTable("key_packages")
          .set({ claimed_by: claimerDeviceId, claimed_at: now })
          .where("ref", "=", candidate.ref)
          .where("claimed_by", "is", null)
          .executeTakeFirst();
        if (result.numUpdatedRows === 1n) return toRecord(candidate);
      }
    },
    async findLastResort(deviceId) {
      const row = await db
        .selectFrom("key_packages")
        .selectAll()
        .where("device_id", "=", deviceId)
        .where("last_resort", "=", 1)
        .orderBy("created_at", "desc")
        .limit(1)
        .executeTakeFirst();
      return row && toRecord(row);
    },
  };
}
