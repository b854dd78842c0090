import type { Kysely } from "kysely";
import type { Database } from "../schema.js";
import type { PruneCounts, RetentionRepository } from "../types.js";
import { num, numOrNull } from "./rows.js";

const deleted = (result: { numDeletedRows: bigint } | undefined) => Number(result?.numDeletedRows ?? 0n);

/**
 * The lowest seq every device still reading the group has processed: for each current member, and
 * each ended membership not yet read up to its left_seq, max(cursor, joined_seq); undefined when no
 * device reads the group.
 */
async function lowestProcessed(db: Kysely<Database>, groupId: string): Promise<number | undefined> {
  const rows = await db
    .selectFrom("group_members as m")
    .leftJoin("cursors as c", (join) =>
      join.onRef("c.group_id", "=", "m.group_id").onRef("c.device_id", "=", "m.device_id"),
    )
    .select(["m.joined_seq", "m.left_seq", "c.seq"])
    .where("m.group_id", "=", groupId)
    .execute();
  let low: number | undefined;
  for (const row of rows) {
    const processed = Math.max(num(row.joined_seq), row.seq === null ? 0 : num(row.seq));
    const leftSeq = numOrNull(row.left_seq);
    if (leftSeq !== null && processed >= leftSeq) continue;
    low = low === undefined ? processed : Math.min(low, processed);
  }
  return low;
}

/** {@link RetentionRepository} over Kysely; dialect-agnostic (one group at a time). */
export function kyselyRetentionRepository(db: Kysely<Database>): RetentionRepository {
  return {
    async prune(expireBefore) {
      const counts: PruneCounts = { acked: 0, expired: 0, welcomes: 0, epochs: 0 };
      const groups = await db.selectFrom("groups").select(["id", "epoch"]).execute();
      for (const group of groups) {
        const low = await lowestProcessed(db, group.id);
        if (low !== undefined && low > 0) {
          counts.acked += deleted(
            await db
              .deleteFrom("group_log")
              .where("group_id", "=", group.id)
              .where("seq", "<=", low)
              .executeTakeFirst(),
          );
        }
      }
      counts.expired = deleted(
        await db.deleteFrom("group_log").where("created_at", "<", expireBefore).executeTakeFirst(),
      );
      counts.welcomes = deleted(
        await db
          .deleteFrom("welcomes")
          .where((eb) => eb.or([eb("acked_at", "is not", null), eb("created_at", "<", expireBefore)]))
          .executeTakeFirst(),
      );
      // A commit's shared Welcome goes once no inbox entry refers to it.
      await db
        .deleteFrom("commit_welcomes")
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom("welcomes")
                .select("welcomes.id")
                .whereRef("welcomes.group_id", "=", "commit_welcomes.group_id")
                .whereRef("welcomes.seq", "=", "commit_welcomes.seq"),
            ),
          ),
        )
        .execute();
      for (const group of groups) {
        counts.epochs += deleted(
          await db
            .deleteFrom("group_trees")
            .where("group_id", "=", group.id)
            .where("epoch", "<", num(group.epoch))
            .where("epoch", "not in", (eb) =>
              eb.selectFrom("welcomes").select("epoch").where("group_id", "=", group.id),
            )
            .executeTakeFirst(),
        );
        const latest = await db
          .selectFrom("group_infos")
          .select((eb) => eb.fn.max("epoch").as("epoch"))
          .where("group_id", "=", group.id)
          .executeTakeFirst();
        if (latest?.epoch !== null && latest?.epoch !== undefined) {
          counts.epochs += deleted(
            await db
              .deleteFrom("group_infos")
              .where("group_id", "=", group.id)
              .where("epoch", "<", num(latest.epoch))
              .executeTakeFirst(),
          );
        }
      }
      return counts;
    },
  };
}
