import type { Kysely } from "kysely";
import { conflictAs } from "../driver-errors.js";
import type { Database } from "../schema.js";
import type { LogEntryRecord, LogRepository, StorageRepository } from "../types.js";
import type { PreparedQueries, QueryTemplate } from "./prepared-queries.js";
import { logKind, num } from "./rows.js";

/** A log row from a template's placeholders, in `LogRepository.append`'s value order. */
const logRow = ([groupId, seq, kind, messageId, sender, epoch, payload, createdAt]: readonly string[]) => ({
  group_id: groupId as string,
  seq: seq as unknown as number,
  kind: kind as string,
  message_id: messageId as string,
  sender_device_id: sender as string,
  epoch: epoch as unknown as number,
  payload: payload as string,
  created_at: createdAt as unknown as number,
});

/** Hot path: every message appended is looked up by id first, then inserted. */
const APPEND: QueryTemplate<unknown> = (db, values) => db.insertInto("group_log").values(logRow(values));

/**
 * Hot path on PostgreSQL: the append and its sender's account charge in one statement, the insert
 * in a data-modifying WITH (PostgreSQL runs it whether or not the rest reads it). The charge is the
 * update, so the account's row is locked last, as by the two statements it replaces.
 */
const APPEND_CHARGING: QueryTemplate<{ stored_bytes: number }> = (db, values) =>
  db
    .with("appended", (cte) => cte.insertInto("group_log").values(logRow(values)))
    .updateTable("accounts")
    .set((eb) => ({
      stored_bytes: eb("stored_bytes", "+", eb.cast<number>(eb.val(values[8] as string), "bigint")),
    }))
    .where("id", "=", values[9] as string)
    .returning("stored_bytes");

const FIND_BY_MESSAGE_ID: QueryTemplate<Database["group_log"]> = (db, [groupId, messageId]) =>
  db
    .selectFrom("group_log")
    .selectAll()
    .where("group_id", "=", groupId as string)
    .where("message_id", "=", messageId as string)
    .limit(1);

/** What the database can do, for {@link kyselyLogRepository}. */
export interface LogRepositoryOptions {
  /** It runs INSERT inside WITH (PostgreSQL; not SQLite): `appendCharging` is then one statement. */
  modifyingWith?: boolean;
}

/**
 * {@link LogRepository} over Kysely.
 *
 * @param storage charges the sender's account where `appendCharging` takes two statements
 */
export function kyselyLogRepository(
  db: Kysely<Database>,
  prepared: PreparedQueries,
  storage: Pick<StorageRepository, "chargeAccount">,
  { modifyingWith = false }: LogRepositoryOptions = {},
): LogRepository {
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
  const valuesOf = (e: LogEntryRecord) => [
    e.groupId,
    e.seq,
    e.kind,
    e.messageId,
    e.senderDeviceId,
    e.epoch,
    e.payload,
    e.createdAt,
  ];
  const append = async (e: LogEntryRecord) => {
    await conflictAs("log entry", prepared.execute(db, APPEND, valuesOf(e)));
  };
  return {
    append,
    async appendCharging(e, accountId, bytes) {
      if (!modifyingWith) {
        await append(e);
        return storage.chargeAccount(accountId, bytes);
      }
      const result = await conflictAs(
        "log entry",
        prepared.execute(db, APPEND_CHARGING, [...valuesOf(e), bytes, accountId]),
      );
      const [row] = result.rows;
      return row && num(row.stored_bytes);
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
