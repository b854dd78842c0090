import type { Kysely } from "kysely";
import { conflictAs } from "../driver-errors.js";
import type { Database } from "../schema.js";
import type { LogEntryRecord, LogRepository } from "../types.js";
import type { PreparedQueries, QueryTemplate } from "./prepared-queries.js";
import { logKind, num } from "./rows.js";

/** Hot path: every message appended is looked up by id first, then inserted. */
const APPEND: QueryTemplate<unknown> = (
  db,
  [groupId, seq, kind, messageId, sender, epoch, payload, createdAt],
) =>
  db.insertInto("group_log").values({
    group_id: groupId as string,
    seq: seq as unknown as number,
    kind: kind as string,
    message_id: messageId as string,
    sender_device_id: sender as string,
    epoch: epoch as unknown as number,
    payload: payload as string,
    created_at: createdAt as unknown as number,
  });
const FIND_BY_MESSAGE_ID: QueryTemplate<Database["group_log"]> = (db, [groupId, messageId]) =>
  db
    .selectFrom("group_log")
    .selectAll()
    .where("group_id", "=", groupId as string)
    .where("message_id", "=", messageId as string)
    .limit(1);

/** {@link LogRepository} over Kysely. */
export function kyselyLogRepository(db: Kysely<Database>, prepared: PreparedQueries): LogRepository {
  const toRecord = (r: Database["group_log"]): LogEntryRecord => ({
    groupId: r.group_id,
    seq: num(r.seq),
    kind: logKind(r.kind),
    messageId: r.message_id,
    senderDeviceId: r.sender_device_id,
    epoch: num(r.epoch),
    payload: r.payload,
    createdAt: num(r.created_at),
  });
  return {
    async append(e) {
      const values = [
        e.groupId,
        e.seq,
        e.kind,
        e.messageId,
        e.senderDeviceId,
        e.epoch,
        e.payload,
        e.createdAt,
      ];
      await conflictAs("log entry", prepared.execute(db, APPEND, values));
    },
    async findByMessageId(groupId, messageId) {
      const [row] = (await prepared.execute(db, FIND_BY_MESSAGE_ID, [groupId, messageId])).rows;
      return row && toRecord(row);
    },
    async findCommitAt(groupId, epoch) {
      const row = await db
        .selectFrom("group_log")
        .selectAll()
        .where("group_id", "=", groupId)
        .where("kind", "=", "commit")
        .where("epoch", "=", epoch)
        .orderBy("seq")
        .limit(1)
        .executeTakeFirst();
      return row && toRecord(row);
    },
    async readAfter(groupId, afterSeq, { excludeSender, upToSeq, limit }) {
      let query = db
        .selectFrom("group_log")
        .innerJoin("devices", "devices.id", "group_log.sender_device_id")
        .innerJoin("accounts", "accounts.id", "devices.account_id")
        .selectAll("group_log")
        .select(["accounts.id as sender_account_id", "accounts.handle as sender_handle"])
        .where("group_log.group_id", "=", groupId)
        .where("group_log.seq", ">", afterSeq);
      if (excludeSender !== undefined) query = query.where("group_log.sender_device_id", "!=", excludeSender);
      if (upToSeq !== undefined) query = query.where("group_log.seq", "<=", upToSeq);
      const rows = await query.orderBy("group_log.seq").limit(limit).execute();
      return rows.map((r) => ({
        ...toRecord(r),
        senderAccountId: r.sender_account_id,
        senderHandle: r.sender_handle,
      }));
    },
  };
}
