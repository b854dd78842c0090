import type { Kysely } from "kysely";
import type { BlobsTable, Database } from "../schema.js";
import type { BlobFileRef, BlobRecord, BlobRepository, BlobState } from "../types.js";
import { num, numOrNull } from "./rows.js";

/** A stored row as a record. */
function toRecord(row: BlobsTable): BlobRecord {
  const expiresAt = numOrNull(row.expires_at);
  return {
    id: row.id,
    blobId: row.blob_id,
    groupId: row.group_id,
    accountId: row.account_id,
    size: num(row.size),
    state: row.state as BlobState,
    createdAt: num(row.created_at),
    ...(expiresAt !== null ? { expiresAt } : {}),
  };
}

const toRef = (row: { id: string; blob_id: string }): BlobFileRef => ({ id: row.id, blobId: row.blob_id });

/**
 * {@link BlobRepository} over Kysely (tables `blobs` and `message_blobs`, migration 0012);
 * dialect-agnostic. Every state change is one conditional statement, so several nodes running the
 * expiry job or racing a completion change each row once.
 */
export function kyselyBlobRepository(db: Kysely<Database>): BlobRepository {
  /** See {@link BlobRepository.recordReferences}. */
  const recordReferences: BlobRepository["recordReferences"] = async (message, blobIds) => {
    const ids = [...new Set(blobIds)];
    if (ids.length === 0) return;
    await db
      .insertInto("message_blobs")
      .values(
        ids.map((blobId) => ({
          group_id: message.groupId,
          message_id: message.messageId,
          blob_id: blobId,
          seq: message.seq,
          sender_device_id: message.senderDeviceId,
          created_at: message.createdAt,
        })),
      )
      .onConflict((oc) => oc.doNothing())
      .execute();
    await markSent(ids);
  };

  /** See {@link BlobRepository.markSent}. */
  const markSent = async (blobIds: readonly string[]): Promise<void> => {
    if (blobIds.length === 0) return;
    await db
      .updateTable("blobs")
      .set({ expires_at: null })
      .where("state", "=", "complete")
      .where("blob_id", "in", [...new Set(blobIds)])
      .where("expires_at", "is not", null) // a blob sent before is not written again
      .execute();
  };

  /** Marks "removed" those complete blobs of `blobIds` no message points at any more. */
  async function removeUnreferenced(blobIds: readonly string[]): Promise<BlobFileRef[]> {
    if (blobIds.length === 0) return [];
    const rows = await db
      .updateTable("blobs")
      .set({ state: "removed" })
      .where("state", "=", "complete")
      .where("blob_id", "in", [...new Set(blobIds)])
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom("message_blobs")
              .select("message_blobs.blob_id")
              .whereRef("message_blobs.blob_id", "=", "blobs.blob_id"),
          ),
        ),
      )
      .returning(["id", "blob_id"])
      .execute();
    return rows.map(toRef);
  }

  /**
   * Marks "removed" the complete blobs of `ids` (rows a caller selected with a LIMIT, since UPDATE …
   * LIMIT is not portable), still only if `expiredBefore` says so when given (a SEND may have
   * referenced the blob since the select). Returns how many rows changed.
   */
  async function markRemoved(ids: readonly string[], expiredBefore?: number): Promise<number> {
    if (ids.length === 0) return 0;
    let update = db
      .updateTable("blobs")
      .set({ state: "removed" })
      .where("state", "=", "complete")
      .where("id", "in", [...ids]);
    if (expiredBefore !== undefined) update = update.where("expires_at", "<", expiredBefore);
    const result = await update.executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  return {
    async insertUpload(record) {
      await db
        .insertInto("blobs")
        .values({
          id: record.id,
          blob_id: record.blobId,
          group_id: record.groupId,
          account_id: record.accountId,
          size: record.size,
          state: record.state,
          created_at: record.createdAt,
          expires_at: record.expiresAt ?? null,
        })
        .execute();
    },

    async findUpload(id) {
      const row = await db.selectFrom("blobs").selectAll().where("id", "=", id).executeTakeFirst();
      return row && toRecord(row);
    },

    async findBlob(blobId) {
      const row = await db
        .selectFrom("blobs")
        .selectAll()
        .where("blob_id", "=", blobId)
        .where("state", "=", "complete")
        .executeTakeFirst();
      return row && toRecord(row);
    },

    async usedBytes(accountId) {
      const row = await db
        .selectFrom("blobs")
        .select((eb) => eb.fn.sum<number | string | null>("size").as("bytes"))
        .where("account_id", "=", accountId)
        .where("state", "!=", "removed")
        .executeTakeFirst();
      return row?.bytes == null ? 0 : num(row.bytes);
    },

    async complete(id, expiresAt, blobId) {
      const result = await db
        .updateTable("blobs")
        .set({ state: "complete", expires_at: expiresAt, blob_id: blobId })
        .where("id", "=", id)
        .where("state", "=", "uploading")
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom("blobs as other")
                .select("other.id")
                .where("other.state", "in", ["complete", "removed"])
                .where("other.blob_id", "=", blobId),
            ),
          ),
        )
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async removeUnsent(id) {
      const row = await db
        .updateTable("blobs")
        .set({ state: "removed" })
        .where("id", "=", id)
        .where("state", "=", "complete")
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom("message_blobs")
                .select("message_blobs.blob_id")
                .whereRef("message_blobs.blob_id", "=", "blobs.blob_id"),
            ),
          ),
        )
        .returning(["id", "blob_id"])
        .executeTakeFirst();
      return row && toRef(row);
    },

    async deleteRow(id) {
      const result = await db.deleteFrom("blobs").where("id", "=", id).executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    },

    async reference(message, blobIds) {
      const { groupId } = message;
      const ids = [...new Set(blobIds)];
      const found = new Set(
        (
          await db
            .selectFrom("blobs")
            .select("blob_id")
            .where("state", "=", "complete")
            .where("blob_id", "in", ids)
            // the message's group's blob, or one its sender's account uploaded elsewhere (an avatar)
            .where(({ or, eb, selectFrom }) =>
              or([
                eb("group_id", "=", groupId),
                eb(
                  "account_id",
                  "=",
                  selectFrom("devices")
                    .select("devices.account_id")
                    .where("devices.id", "=", message.senderDeviceId),
                ),
              ]),
            )
            .execute()
        ).map((r) => r.blob_id),
      );
      const missing = ids.find((id) => !found.has(id));
      if (missing !== undefined) return missing;
      await recordReferences(message, ids);
      return undefined;
    },

    recordReferences,

    markSent,

    async referenceForDevice(blobId, deviceId) {
      const row = await db
        .selectFrom("message_blobs")
        .innerJoin("group_members", "group_members.group_id", "message_blobs.group_id")
        .select(["message_blobs.group_id", "message_blobs.sender_device_id"])
        .where("message_blobs.blob_id", "=", blobId)
        .where("group_members.device_id", "=", deviceId)
        .where("group_members.left_seq", "is", null)
        .executeTakeFirst();
      return row && { groupId: row.group_id, senderDeviceId: row.sender_device_id };
    },

    async referencesOf(groupId, messageIds) {
      const found = new Map<string, string[]>();
      if (messageIds.length === 0) return found;
      const rows = await db
        .selectFrom("message_blobs")
        .select(["message_id", "blob_id"])
        .where("group_id", "=", groupId)
        .where("message_id", "in", [...new Set(messageIds)])
        .execute();
      for (const row of rows) found.set(row.message_id, [...(found.get(row.message_id) ?? []), row.blob_id]);
      return found;
    },

    async inGroup(blobId, groupId) {
      const uploaded = await db
        .selectFrom("blobs")
        .select("id")
        .where("blob_id", "=", blobId)
        .where("group_id", "=", groupId)
        .where("state", "=", "complete")
        .executeTakeFirst();
      if (uploaded) return true;
      const referenced = await db
        .selectFrom("message_blobs")
        .select("blob_id")
        .where("group_id", "=", groupId)
        .where("blob_id", "=", blobId)
        .executeTakeFirst();
      return referenced !== undefined;
    },

    async findMessage(groupId, messageId) {
      const row = await db
        .selectFrom("message_blobs")
        .select(["seq", "sender_device_id"])
        .where("group_id", "=", groupId)
        .where("message_id", "=", messageId)
        .executeTakeFirst();
      return row && { seq: num(row.seq), senderDeviceId: row.sender_device_id };
    },

    async release(groupId, messageIds) {
      if (messageIds.length === 0) return [];
      const gone = await db
        .deleteFrom("message_blobs")
        .where("group_id", "=", groupId)
        .where("message_id", "in", [...messageIds])
        .returning("blob_id")
        .execute();
      return removeUnreferenced(gone.map((r) => r.blob_id));
    },

    async releaseOlderThan(createdBefore, limit) {
      const old = await db
        .selectFrom("message_blobs")
        .select("message_id")
        .where("created_at", "<", createdBefore)
        .limit(limit)
        .execute();
      if (old.length === 0) return 0;
      // One statement for the batch: the references of those messages that are past retention.
      const gone = await db
        .deleteFrom("message_blobs")
        .where("created_at", "<", createdBefore)
        .where("message_id", "in", [...new Set(old.map((r) => r.message_id))])
        .returning("blob_id")
        .execute();
      await removeUnreferenced(gone.map((g) => g.blob_id));
      return gone.length;
    },

    async removeMemberless(limit) {
      const rows = await db
        .selectFrom("blobs")
        .select("id")
        .where("state", "=", "complete")
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom("group_members")
                .select("group_members.device_id")
                .whereRef("group_members.group_id", "=", "blobs.group_id")
                .where("group_members.left_seq", "is", null),
            ),
          ),
        )
        // kept while a message of a group with members points at it (a blob shared by its uploader)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom("message_blobs")
                .innerJoin("group_members", "group_members.group_id", "message_blobs.group_id")
                .select("message_blobs.blob_id")
                .whereRef("message_blobs.blob_id", "=", "blobs.blob_id")
                .where("group_members.left_seq", "is", null),
            ),
          ),
        )
        .limit(limit)
        .execute();
      return markRemoved(rows.map((r) => r.id));
    },

    async expireUnsent(now, limit) {
      const rows = await db
        .selectFrom("blobs")
        .select("id")
        .where("state", "=", "complete")
        .where("expires_at", "is not", null)
        .where("expires_at", "<", now)
        .limit(limit)
        .execute();
      return markRemoved(
        rows.map((r) => r.id),
        now,
      );
    },

    async deleteExpiredUploads(now, limit) {
      const rows = await db
        .selectFrom("blobs")
        .select("id")
        .where("state", "=", "uploading")
        .where("expires_at", "<", now)
        .limit(limit)
        .execute();
      if (rows.length === 0) return [];
      const gone = await db
        .deleteFrom("blobs")
        .where("state", "=", "uploading")
        .where(
          "id",
          "in",
          rows.map((r) => r.id),
        )
        .returning(["id", "blob_id"])
        .execute();
      return gone.map(toRef);
    },

    async listRemoved(limit) {
      const rows = await db
        .selectFrom("blobs")
        .select(["id", "blob_id"])
        .where("state", "=", "removed")
        .limit(limit)
        .execute();
      return rows.map(toRef);
    },
  };
}
