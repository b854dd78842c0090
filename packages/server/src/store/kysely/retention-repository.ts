import { type Kysely, sql } from "kysely";
import type { Database } from "../schema.js";
import type { RetentionRepository } from "../types.js";
import { num, numOrNull } from "./rows.js";
import { addCredit, applyCredit, emptyCredit } from "./storage-repository.js";

/** Length of a text column in characters (base64url: one byte each), on SQLite and PostgreSQL. */
const lengthOf = (column: string) => sql<number>`length(${sql.ref(column)})`;

/** Ids per `IN (…)` list: within SQLite's and PostgreSQL's parameter limits. */
const IN_CHUNK = 500;

/**
 * {@link RetentionRepository} over Kysely; dialect-agnostic. Deletions use `DELETE … RETURNING` (SQLite
 * ≥ 3.35, PostgreSQL) so they credit exactly the rows they removed back to `stored_bytes`.
 */
export function kyselyRetentionRepository(db: Kysely<Database>): RetentionRepository {
  /** The accounts of these devices (revoked ones included). */
  const accountsOf = async (deviceIds: Iterable<string>): Promise<Map<string, string>> => {
    const ids = [...new Set(deviceIds)];
    const out = new Map<string, string>();
    for (let i = 0; i < ids.length; i += IN_CHUNK) {
      const rows = await db
        .selectFrom("devices")
        .select(["id", "account_id"])
        .where("id", "in", ids.slice(i, i + IN_CHUNK))
        .execute();
      for (const r of rows) out.set(r.id, r.account_id);
    }
    return out;
  };

  return {
    async groupsToPrune(afterId, limit) {
      const rows = await db
        .selectFrom("groups")
        .select(["id", "epoch", "last_seq", "pruned_seq"])
        .where("id", ">", afterId)
        .whereRef("last_seq", ">", "pruned_seq")
        .orderBy("id")
        .limit(limit)
        .execute();
      return rows.map((r) => ({
        id: r.id,
        epoch: num(r.epoch),
        lastSeq: num(r.last_seq),
        prunedSeq: num(r.pruned_seq),
      }));
    },

    async readers(groupId) {
      const rows = await db
        .selectFrom("group_members as m")
        .leftJoin("cursors as c", (join) =>
          join.onRef("c.group_id", "=", "m.group_id").onRef("c.device_id", "=", "m.device_id"),
        )
        .select(["m.device_id", "m.joined_seq", "m.left_seq", "c.seq"])
        .where("m.group_id", "=", groupId)
        .execute();
      return rows.map((r) => ({
        deviceId: r.device_id,
        joinedSeq: num(r.joined_seq),
        leftSeq: numOrNull(r.left_seq),
        cursor: r.seq === null ? 0 : num(r.seq),
      }));
    },

    async deleteEntries({ groupId, afterSeq, upToSeq, sender, createdBefore }) {
      let query = db
        .deleteFrom("group_log")
        .where("group_id", "=", groupId)
        .where("seq", ">", afterSeq)
        .where("seq", "<=", upToSeq);
      if (sender !== undefined) query = query.where("sender_device_id", "=", sender);
      if (createdBefore !== undefined) query = query.where("created_at", "<", createdBefore);
      const rows = await query.returning(["sender_device_id", lengthOf("payload").as("bytes")]).execute();
      if (rows.length === 0) return 0;
      const accounts = await accountsOf(rows.map((r) => r.sender_device_id));
      const credit = emptyCredit();
      for (const r of rows) {
        addCredit(credit.groups, groupId, num(r.bytes));
        addCredit(credit.accounts, accounts.get(r.sender_device_id), num(r.bytes));
      }
      await applyCredit(db, credit);
      return rows.length;
    },

    async lowestSeq(groupId, afterSeq, createdFrom) {
      let query = db
        .selectFrom("group_log")
        .select("seq")
        .where("group_id", "=", groupId)
        .where("seq", ">", afterSeq);
      if (createdFrom !== undefined) query = query.where("created_at", ">=", createdFrom);
      const row = await query.orderBy("seq").limit(1).executeTakeFirst();
      return row && num(row.seq);
    },

    async raisePrunedSeq(groupId, seq) {
      await db
        .updateTable("groups")
        .set({ pruned_seq: seq })
        .where("id", "=", groupId)
        .where("pruned_seq", "<", seq)
        .execute();
    },

    async deleteWelcomes(expireBefore, limit) {
      const ids = (
        await db
          .selectFrom("welcomes")
          .select("id")
          .where((eb) => eb.or([eb("acked_at", "is not", null), eb("created_at", "<", expireBefore)]))
          .limit(limit)
          .execute()
      ).map((r) => r.id);
      if (ids.length === 0) return { deleted: 0, groupIds: [] };
      const credit = emptyCredit();
      const shared = new Map<string, { groupId: string; seq: number }>();
      let deleted = 0;
      const senders: { deviceId: string; bytes: number }[] = [];
      for (let i = 0; i < ids.length; i += IN_CHUNK) {
        const rows = await db
          .deleteFrom("welcomes")
          .where("id", "in", ids.slice(i, i + IN_CHUNK))
          .returning(["group_id", "seq", "sender_device_id", lengthOf("payload").as("bytes")])
          .execute();
        deleted += rows.length;
        for (const r of rows) {
          const bytes = num(r.bytes);
          addCredit(credit.groups, r.group_id, bytes);
          if (bytes > 0) senders.push({ deviceId: r.sender_device_id, bytes });
          else shared.set(`${r.group_id} ${num(r.seq)}`, { groupId: r.group_id, seq: num(r.seq) });
        }
      }
      const accounts = await accountsOf(senders.map((s) => s.deviceId));
      for (const s of senders) addCredit(credit.accounts, accounts.get(s.deviceId), s.bytes);
      // A commit's shared Welcome goes with the last inbox entry that refers to it.
      for (const { groupId, seq } of shared.values()) {
        const gone = await db
          .deleteFrom("commit_welcomes")
          .where("group_id", "=", groupId)
          .where("seq", "=", seq)
          .where(({ not, exists, selectFrom }) =>
            not(
              exists(
                selectFrom("welcomes")
                  .select("welcomes.id")
                  .where("welcomes.group_id", "=", groupId)
                  .where("welcomes.seq", "=", seq),
              ),
            ),
          )
          .returning(["account_id", lengthOf("payload").as("bytes")])
          .execute();
        for (const r of gone) {
          addCredit(credit.groups, groupId, num(r.bytes));
          addCredit(credit.accounts, r.account_id, num(r.bytes));
        }
      }
      await applyCredit(db, credit);
      const groupIds = [...new Set([...credit.groups.keys(), ...[...shared.values()].map((s) => s.groupId)])];
      return { deleted, groupIds };
    },

    async pruneEpochs(groupId, currentEpoch) {
      const credit = emptyCredit();
      const trees = await db
        .deleteFrom("group_trees")
        .where("group_id", "=", groupId)
        .where("epoch", "<", currentEpoch)
        .where("epoch", "not in", (eb) =>
          eb.selectFrom("welcomes").select("epoch").where("group_id", "=", groupId),
        )
        .returning(["account_id", lengthOf("ratchet_tree").as("bytes")])
        .execute();
      const latest = await db
        .selectFrom("group_infos")
        .select((eb) => eb.fn.max("epoch").as("epoch"))
        .where("group_id", "=", groupId)
        .executeTakeFirst();
      const infos =
        latest?.epoch === null || latest?.epoch === undefined
          ? []
          : await db
              .deleteFrom("group_infos")
              .where("group_id", "=", groupId)
              .where("epoch", "<", num(latest.epoch))
              .returning(["account_id", lengthOf("group_info").as("bytes")])
              .execute();
      for (const r of [...trees, ...infos]) {
        addCredit(credit.groups, groupId, num(r.bytes));
        addCredit(credit.accounts, r.account_id, num(r.bytes));
      }
      await applyCredit(db, credit);
      return trees.length + infos.length;
    },

    async deleteClaimedKeyPackages(claimedBefore) {
      const result = await db
        .deleteFrom("key_packages")
        .where("claimed_by", "is not", null)
        .where("claimed_at", "<", claimedBefore)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
