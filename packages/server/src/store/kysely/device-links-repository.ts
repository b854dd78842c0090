import type { Kysely } from "kysely";
import type { Database } from "../schema.js";
import type { DeviceLinkRecord, DeviceLinkRepository, DeviceLinkState } from "../types.js";
import { num } from "./rows.js";

/** Narrows a stored `status` column (unknown values read as "open"). */
function linkState(value: string): DeviceLinkState {
  return value === "claimed" || value === "approved" || value === "declined" ? value : "open";
}

/** {@link DeviceLinkRepository} over Kysely. */
export function kyselyDeviceLinkRepository(db: Kysely<Database>): DeviceLinkRepository {
  const toRecord = (r: Database["device_links"]): DeviceLinkRecord => ({
    id: r.id,
    accountId: r.account_id,
    creatorDeviceId: r.creator_device_id,
    expiresAt: num(r.expires_at),
    status: linkState(r.status),
    ...(r.claimed_key !== null ? { claimedKey: r.claimed_key } : {}),
    ...(r.claimed_name !== null ? { claimedName: r.claimed_name } : {}),
    ...(r.claimed_proof !== null ? { claimedProof: r.claimed_proof } : {}),
    ...(r.device_id !== null ? { deviceId: r.device_id } : {}),
    createdAt: num(r.created_at),
  });
  return {
    async insert(link) {
      await db
        .insertInto("device_links")
        .values({
          id: link.id,
          account_id: link.accountId,
          creator_device_id: link.creatorDeviceId,
          expires_at: link.expiresAt,
          status: link.status,
          claimed_key: link.claimedKey ?? null,
          claimed_name: link.claimedName ?? null,
          claimed_proof: link.claimedProof ?? null,
          device_id: link.deviceId ?? null,
          created_at: link.createdAt,
        })
        .execute();
    },
    async find(id) {
      const row = await db.selectFrom("device_links").selectAll().where("id", "=", id).executeTakeFirst();
      return row && toRecord(row);
    },
    async claim(id, claim, now) {
      const result = await db
        .updateTable("device_links")
        .set({
          status: "claimed",
          claimed_key: claim.key,
          claimed_name: claim.name,
          claimed_proof: claim.proof,
        })
        .where("id", "=", id)
        .where("status", "=", "open")
        .where("expires_at", ">", now)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },
    async approve(id, deviceId) {
      const result = await db
        .updateTable("device_links")
        .set({ status: "approved", device_id: deviceId })
        .where("id", "=", id)
        .where("status", "=", "claimed")
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },
    async decline(id, now) {
      const result = await db
        .updateTable("device_links")
        .set({ status: "declined" })
        .where("id", "=", id)
        .where("status", "=", "claimed")
        .where("expires_at", ">", now)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },
  };
}
