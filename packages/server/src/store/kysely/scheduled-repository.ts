import type { MessageDeclaration } from "@volly/protocol";
import type { Kysely } from "kysely";
import { conflictAs } from "../driver-errors.js";
import type { Database, ScheduledMessagesTable } from "../schema.js";
import type { ScheduledRecord, ScheduledRepository } from "../types.js";
import { num, numOrNull } from "./rows.js";

const DECLARATIONS = new Set(["attachment", "mention-everyone"]);

/** A stored row as a record (unknown declarations, a newer server's, are dropped). */
function toRecord(row: ScheduledMessagesTable): ScheduledRecord {
  const declares = row.declares
    ? (JSON.parse(row.declares) as string[]).filter((d): d is MessageDeclaration => DECLARATIONS.has(d))
    : [];
  const claimedAt = numOrNull(row.claimed_at);
  return {
    messageId: row.message_id,
    groupId: row.group_id,
    accountId: row.account_id,
    deviceId: row.device_id,
    epoch: num(row.epoch),
    ciphertext: row.ciphertext,
    ...(declares.length > 0 ? { declares } : {}),
    releaseAt: num(row.release_at),
    ...(row.series_id !== null ? { seriesId: row.series_id } : {}),
    createdAt: num(row.created_at),
    ...(claimedAt !== null ? { claimedAt } : {}),
    ...(row.failure !== null ? { failure: row.failure } : {}),
  };
}

function declaresColumn(declares: MessageDeclaration[] | undefined): string | null {
  return declares && declares.length > 0 ? JSON.stringify(declares) : null;
}

/**
 * {@link ScheduledRepository} over Kysely (table `scheduled_messages`, migration 0010). Claims are one
 * `UPDATE … WHERE claimed_at IS NULL OR claimed_at < staleBefore` whose affected-row count says who
 * won, so any number of nodes release a message once; replace and cancel are conditional on the row
 * being unclaimed, so they never race a release.
 */
export function kyselyScheduledRepository(db: Kysely<Database>): ScheduledRepository {
  const unclaimedOrStale = (staleBefore: number) =>
    db
      .updateTable("scheduled_messages")
      .where("failure", "is", null)
      .where((eb) => eb.or([eb("claimed_at", "is", null), eb("claimed_at", "<", staleBefore)]));
  return {
    async insert(record) {
      await conflictAs(
        "scheduled message",
        db
          .insertInto("scheduled_messages")
          .values({
            message_id: record.messageId,
            group_id: record.groupId,
            account_id: record.accountId,
            device_id: record.deviceId,
            epoch: record.epoch,
            ciphertext: record.ciphertext,
            declares: declaresColumn(record.declares),
            release_at: record.releaseAt,
            series_id: record.seriesId ?? null,
            created_at: record.createdAt,
            claimed_at: null,
            failure: null,
          })
          .execute(),
      );
    },
    async get(messageId) {
      const row = await db
        .selectFrom("scheduled_messages")
        .selectAll()
        .where("message_id", "=", messageId)
        .executeTakeFirst();
      return row ? toRecord(row) : undefined;
    },
    async listByAccount(accountId) {
      const rows = await db
        .selectFrom("scheduled_messages")
        .selectAll()
        .where("account_id", "=", accountId)
        .orderBy("release_at")
        .orderBy("message_id")
        .execute();
      return rows.map(toRecord);
    },
    async countByAccount(accountId) {
      const row = await db
        .selectFrom("scheduled_messages")
        .select((eb) => eb.fn.countAll().as("n"))
        .where("account_id", "=", accountId)
        .where("failure", "is", null)
        .executeTakeFirstOrThrow();
      return num(row.n as number | string | bigint);
    },
    async replace(messageId, accountId, change) {
      const result = await db
        .updateTable("scheduled_messages")
        .set({
          device_id: change.deviceId,
          epoch: change.epoch,
          ciphertext: change.ciphertext,
          declares: declaresColumn(change.declares),
        })
        .where("message_id", "=", messageId)
        .where("account_id", "=", accountId)
        .where("claimed_at", "is", null)
        .where("failure", "is", null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async cancel(messageId, accountId) {
      const result = await db
        .deleteFrom("scheduled_messages")
        .where("message_id", "=", messageId)
        .where("account_id", "=", accountId)
        .where((eb) => eb.or([eb("claimed_at", "is", null), eb("failure", "is not", null)]))
        .executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    },
    async due(now, staleBefore, limit) {
      const rows = await db
        .selectFrom("scheduled_messages")
        .select("message_id")
        .where("release_at", "<=", now)
        .where("failure", "is", null)
        .where((eb) => eb.or([eb("claimed_at", "is", null), eb("claimed_at", "<", staleBefore)]))
        .orderBy("release_at")
        .limit(limit)
        .execute();
      return rows.map((r) => r.message_id);
    },
    async claim(messageId, now, staleBefore) {
      const result = await unclaimedOrStale(staleBefore)
        .set({ claimed_at: now })
        .where("message_id", "=", messageId)
        .where("release_at", "<=", now)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async unclaim(messageId) {
      await db
        .updateTable("scheduled_messages")
        .set({ claimed_at: null })
        .where("message_id", "=", messageId)
        .execute();
    },
    async fail(messageId, failure) {
      await db
        .updateTable("scheduled_messages")
        .set({ failure, claimed_at: null })
        .where("message_id", "=", messageId)
        .execute();
    },
    async remove(messageId) {
      await db.deleteFrom("scheduled_messages").where("message_id", "=", messageId).execute();
    },
  };
}
