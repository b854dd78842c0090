import type { Kysely } from "kysely";
import type { Database } from "../schema.js";
import type { WelcomeRecord, WelcomeRepository, WelcomeWithContext } from "../types.js";
import { num } from "./rows.js";

/** Inbox rows per INSERT: 9 parameters each, well under SQLite's and PostgreSQL's limits. */
const INSERT_CHUNK = 100;

/** {@link WelcomeRepository} over Kysely. */
export function kyselyWelcomeRepository(db: Kysely<Database>): WelcomeRepository {
  const insertRows = async (welcomes: readonly WelcomeRecord[]) => {
    for (let i = 0; i < welcomes.length; i += INSERT_CHUNK) {
      await db
        .insertInto("welcomes")
        .values(
          welcomes.slice(i, i + INSERT_CHUNK).map((w) => ({
            id: w.id,
            device_id: w.deviceId,
            group_id: w.groupId,
            seq: w.seq,
            epoch: w.epoch,
            sender_device_id: w.senderDeviceId,
            payload: w.payload,
            created_at: w.createdAt,
            acked_at: null,
          })),
        )
        .execute();
    }
  };
  const pending = (deviceId: string) =>
    db
      .selectFrom("welcomes")
      .innerJoin("devices", "devices.id", "welcomes.sender_device_id")
      .innerJoin("accounts", "accounts.id", "devices.account_id")
      .leftJoin("group_trees", (join) =>
        join
          .onRef("group_trees.group_id", "=", "welcomes.group_id")
          .onRef("group_trees.epoch", "=", "welcomes.epoch"),
      )
      .leftJoin("commit_welcomes", (join) =>
        join
          .onRef("commit_welcomes.group_id", "=", "welcomes.group_id")
          .onRef("commit_welcomes.seq", "=", "welcomes.seq"),
      )
      .selectAll("welcomes")
      .select([
        "accounts.id as sender_account_id",
        "accounts.handle as sender_handle",
        "group_trees.ratchet_tree",
        "commit_welcomes.payload as shared_payload",
      ])
      .where("welcomes.device_id", "=", deviceId)
      .where("welcomes.acked_at", "is", null);
  type Row = Awaited<ReturnType<ReturnType<typeof pending>["executeTakeFirstOrThrow"]>>;
  const toRecord = (r: Row): WelcomeWithContext => ({
    id: r.id,
    deviceId: r.device_id,
    groupId: r.group_id,
    seq: num(r.seq),
    epoch: num(r.epoch),
    senderDeviceId: r.sender_device_id,
    payload: r.payload === "" ? (r.shared_payload ?? "") : r.payload,
    createdAt: num(r.created_at),
    senderAccountId: r.sender_account_id,
    senderHandle: r.sender_handle,
    ratchetTree: r.ratchet_tree ?? "",
  });
  return {
    async insertMany(welcomes) {
      await insertRows(welcomes);
    },
    async insertShared(payload, entries, accountId) {
      const first = entries[0];
      if (!first) return;
      await db
        .insertInto("commit_welcomes")
        .values({ group_id: first.groupId, seq: first.seq, payload, account_id: accountId ?? null })
        .execute();
      await insertRows(entries.map((e) => ({ ...e, payload: "" })));
    },
    async listPending(deviceId) {
      const rows = await pending(deviceId).orderBy("welcomes.created_at").orderBy("welcomes.id").execute();
      return rows.map(toRecord);
    },
    async findPending(deviceId, welcomeId) {
      const row = await pending(deviceId).where("welcomes.id", "=", welcomeId).executeTakeFirst();
      return row && toRecord(row);
    },
    async ack(deviceId, welcomeIds, now) {
      for (let i = 0; i < welcomeIds.length; i += 500) {
        await db
          .updateTable("welcomes")
          .set({ acked_at: now })
          .where("device_id", "=", deviceId)
          .where("id", "in", welcomeIds.slice(i, i + 500))
          .where("acked_at", "is", null)
          .execute();
      }
    },
  };
}
