import type { Kysely } from "kysely";
import type { Database } from "../schema.js";
import type { GroupStateRepository } from "../types.js";
import { num } from "./rows.js";

/** {@link GroupStateRepository} over Kysely (tables `group_admins`, `group_infos`; migration 0004). */
export function kyselyGroupStateRepository(db: Kysely<Database>): GroupStateRepository {
  return {
    async addAdmins(groupId, accountIds) {
      for (const accountId of accountIds) {
        await db
          .insertInto("group_admins")
          .values({ group_id: groupId, account_id: accountId })
          .onConflict((oc) => oc.columns(["group_id", "account_id"]).doNothing())
          .execute();
      }
    },
    async listAdmins(groupId) {
      const rows = await db
        .selectFrom("group_admins")
        .select("account_id")
        .where("group_id", "=", groupId)
        .orderBy("account_id")
        .execute();
      return rows.map((r) => r.account_id);
    },
    async isAdmin(groupId, accountId) {
      const row = await db
        .selectFrom("group_admins")
        .select("account_id")
        .where("group_id", "=", groupId)
        .where("account_id", "=", accountId)
        .executeTakeFirst();
      return row !== undefined;
    },
    async putGroupInfo(groupId, epoch, groupInfo, accountId) {
      const account_id = accountId ?? null;
      await db
        .insertInto("group_infos")
        .values({ group_id: groupId, epoch, group_info: groupInfo, account_id })
        .onConflict((oc) =>
          oc.columns(["group_id", "epoch"]).doUpdateSet({ group_info: groupInfo, account_id }),
        )
        .execute();
    },
    async findGroupInfo(groupId, epoch) {
      const row = await db
        .selectFrom("group_infos")
        .select("group_info")
        .where("group_id", "=", groupId)
        .where("epoch", "=", epoch)
        .executeTakeFirst();
      return row?.group_info;
    },
    async findLatestGroupInfo(groupId) {
      const row = await db
        .selectFrom("group_infos")
        .select(["epoch", "group_info"])
        .where("group_id", "=", groupId)
        .orderBy("epoch", "desc")
        .limit(1)
        .executeTakeFirst();
      return row && { epoch: num(row.epoch), groupInfo: row.group_info };
    },
  };
}
