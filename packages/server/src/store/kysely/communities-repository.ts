import type { Kysely, Selectable } from "kysely";
import type { CommunityTables } from "../community-schema.js";
import type {
  AuditRecord,
  ChannelRecord,
  CommunityInviteRecord,
  CommunityRepository,
  CommunityRoleRecord,
  OverwriteRecord,
} from "../community-types.js";
import type { Database } from "../schema.js";
import { num, numOrNull } from "./rows.js";

type Row<T extends keyof CommunityTables> = Selectable<CommunityTables[T]>;

const role = (r: Row<"community_roles">): CommunityRoleRecord => ({
  id: r.id,
  communityId: r.community_id,
  name: r.name,
  color: num(r.color),
  position: num(r.position),
  permissions: num(r.permissions),
});
const channel = (r: Row<"community_channels">): ChannelRecord => ({
  id: r.id,
  communityId: r.community_id,
  type: r.type as ChannelRecord["type"],
  name: r.name,
  topic: r.topic,
  parentId: r.parent_id,
  position: num(r.position),
  groupId: r.group_id,
  historyPolicy: r.history_policy,
  createdAt: num(r.created_at),
});
const overwrite = (r: Row<"channel_overwrites">): OverwriteRecord => ({
  channelId: r.channel_id,
  targetId: r.target_id,
  targetType: r.target_type === "member" ? "member" : "role",
  allow: num(r.allow),
  deny: num(r.deny),
});
const invite = (r: Row<"community_invites">): CommunityInviteRecord => ({
  code: r.code,
  communityId: r.community_id,
  creatorAccountId: r.creator_account_id,
  createdAt: num(r.created_at),
  expiresAt: numOrNull(r.expires_at),
  maxUses: numOrNull(r.max_uses),
  uses: num(r.uses),
});
const audit = (r: Row<"community_audit_log">): AuditRecord => ({
  id: r.id,
  communityId: r.community_id,
  actorAccountId: r.actor_account_id,
  action: r.action,
  targetId: r.target_id,
  reason: r.reason,
  createdAt: num(r.created_at),
});

/** {@link CommunityRepository} over Kysely (SQLite and PostgreSQL alike). */
export function kyselyCommunityRepository(db: Kysely<Database>): CommunityRepository {
  const roleIdsOf = async (communityId: string, accountIds: readonly string[]) => {
    const byAccount = new Map<string, string[]>(accountIds.map((id) => [id, []]));
    if (accountIds.length === 0) return byAccount;
    const rows = await db
      .selectFrom("community_member_roles")
      .select(["account_id", "role_id"])
      .where("community_id", "=", communityId)
      .$if(accountIds.length === 1, (q) => q.where("account_id", "=", accountIds[0] as string))
      .execute();
    for (const r of rows) byAccount.get(r.account_id)?.push(r.role_id);
    return byAccount;
  };
  const findCommunity = async (id: string) => {
    const r = await db.selectFrom("communities").selectAll().where("id", "=", id).executeTakeFirst();
    return (
      r && {
        id: r.id,
        name: r.name,
        description: r.description,
        ownerAccountId: r.owner_account_id,
        createdAt: num(r.created_at),
      }
    );
  };
  return {
    async insert(c) {
      await db
        .insertInto("communities")
        .values({
          id: c.id,
          name: c.name,
          description: c.description,
          owner_account_id: c.ownerAccountId,
          created_at: c.createdAt,
        })
        .execute();
    },
    find: findCommunity,
    async lock(id) {
      const locked = await db
        .updateTable("communities")
        .set((eb) => ({ owner_account_id: eb.ref("owner_account_id") }))
        .where("id", "=", id)
        .executeTakeFirst();
      return locked.numUpdatedRows > 0n ? findCommunity(id) : undefined;
    },
    async update(id, patch) {
      await db
        .updateTable("communities")
        .set({
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.description !== undefined ? { description: patch.description } : {}),
          ...(patch.ownerAccountId !== undefined ? { owner_account_id: patch.ownerAccountId } : {}),
        })
        .where("id", "=", id)
        .execute();
    },
    async delete(id) {
      const channels = db.selectFrom("community_channels").select("id").where("community_id", "=", id);
      await db.deleteFrom("channel_overwrites").where("channel_id", "in", channels).execute();
      for (const table of [
        "community_channels",
        "community_member_roles",
        "community_roles",
        "community_members",
        "community_bans",
        "community_invites",
        "community_audit_log",
      ] as const) {
        await db.deleteFrom(table).where("community_id", "=", id).execute();
      }
      await db.deleteFrom("communities").where("id", "=", id).execute();
    },
    async listOf(accountId) {
      const rows = await db
        .selectFrom("community_members as m")
        .innerJoin("communities as c", "c.id", "m.community_id")
        .select((eb) => [
          "c.id",
          "c.name",
          "c.owner_account_id",
          eb
            .selectFrom("community_members as all")
            .select((e) => e.fn.countAll<number>().as("n"))
            .whereRef("all.community_id", "=", "c.id")
            .as("member_count"),
        ])
        .where("m.account_id", "=", accountId)
        .orderBy("m.joined_at")
        .execute();
      return rows.map((r) => ({
        id: r.id,
        name: r.name,
        ownerAccountId: r.owner_account_id,
        memberCount: num(r.member_count ?? 0),
      }));
    },

    async insertMember(communityId, accountId, joinedAt) {
      await db
        .insertInto("community_members")
        .values({
          community_id: communityId,
          account_id: accountId,
          joined_at: joinedAt,
          timed_out_until: null,
        })
        .execute();
    },
    async findMember(communityId, accountId) {
      const r = await db
        .selectFrom("community_members")
        .selectAll()
        .where("community_id", "=", communityId)
        .where("account_id", "=", accountId)
        .executeTakeFirst();
      if (!r) return undefined;
      return {
        communityId,
        accountId,
        joinedAt: num(r.joined_at),
        timedOutUntil: numOrNull(r.timed_out_until),
        roleIds: (await roleIdsOf(communityId, [accountId])).get(accountId) ?? [],
      };
    },
    async listMembers(communityId) {
      const rows = await db
        .selectFrom("community_members as m")
        .innerJoin("accounts as a", "a.id", "m.account_id")
        .select([
          "m.account_id",
          "m.joined_at",
          "m.timed_out_until",
          "a.handle",
          "a.display_name",
          "a.entity_type",
        ])
        .where("m.community_id", "=", communityId)
        .orderBy("m.joined_at")
        .orderBy("a.handle")
        .execute();
      const roles = await roleIdsOf(
        communityId,
        rows.map((r) => r.account_id),
      );
      return rows.map((r) => ({
        communityId,
        accountId: r.account_id,
        joinedAt: num(r.joined_at),
        timedOutUntil: numOrNull(r.timed_out_until),
        roleIds: roles.get(r.account_id) ?? [],
        handle: r.handle,
        ...(r.display_name !== null ? { displayName: r.display_name } : {}),
        entityType: r.entity_type,
      }));
    },
    async deleteMember(communityId, accountId) {
      await db
        .deleteFrom("community_member_roles")
        .where("community_id", "=", communityId)
        .where("account_id", "=", accountId)
        .execute();
      const deleted = await db
        .deleteFrom("community_members")
        .where("community_id", "=", communityId)
        .where("account_id", "=", accountId)
        .executeTakeFirst();
      return deleted.numDeletedRows > 0n;
    },
    async setTimeout(communityId, accountId, until) {
      await db
        .updateTable("community_members")
        .set({ timed_out_until: until })
        .where("community_id", "=", communityId)
        .where("account_id", "=", accountId)
        .execute();
    },
    async countMembers(communityId) {
      const r = await db
        .selectFrom("community_members")
        .select((e) => e.fn.countAll<number>().as("n"))
        .where("community_id", "=", communityId)
        .executeTakeFirstOrThrow();
      return num(r.n);
    },

    async listMemberDevices(communityId) {
      const rows = await db
        .selectFrom("community_members as m")
        .innerJoin("devices as d", "d.account_id", "m.account_id")
        .select("d.id")
        .where("m.community_id", "=", communityId)
        .where("d.revoked_at", "is", null)
        .execute();
      return rows.map((r) => r.id);
    },

    async insertRole(r) {
      await db
        .insertInto("community_roles")
        .values({
          id: r.id,
          community_id: r.communityId,
          name: r.name,
          color: r.color,
          position: r.position,
          permissions: r.permissions,
        })
        .execute();
    },
    async updateRole(roleId, patch) {
      if (Object.keys(patch).length === 0) return; // SQL has no empty SET
      await db.updateTable("community_roles").set(patch).where("id", "=", roleId).execute();
    },
    async deleteRole(roleId) {
      await db.deleteFrom("community_member_roles").where("role_id", "=", roleId).execute();
      await db.deleteFrom("channel_overwrites").where("target_id", "=", roleId).execute();
      await db.deleteFrom("community_roles").where("id", "=", roleId).execute();
    },
    async listRoles(communityId) {
      const rows = await db
        .selectFrom("community_roles")
        .selectAll()
        .where("community_id", "=", communityId)
        .orderBy("position")
        .orderBy("id")
        .execute();
      return rows.map(role);
    },
    async addMemberRole(communityId, accountId, roleId) {
      await db
        .insertInto("community_member_roles")
        .values({ community_id: communityId, account_id: accountId, role_id: roleId })
        .onConflict((oc) => oc.doNothing())
        .execute();
    },
    async removeMemberRole(communityId, accountId, roleId) {
      const deleted = await db
        .deleteFrom("community_member_roles")
        .where("community_id", "=", communityId)
        .where("account_id", "=", accountId)
        .where("role_id", "=", roleId)
        .executeTakeFirst();
      return deleted.numDeletedRows > 0n;
    },

    async insertChannel(c) {
      await db
        .insertInto("community_channels")
        .values({
          id: c.id,
          community_id: c.communityId,
          type: c.type,
          name: c.name,
          topic: c.topic,
          parent_id: c.parentId,
          position: c.position,
          group_id: c.groupId,
          history_policy: c.historyPolicy,
          created_at: c.createdAt,
        })
        .execute();
    },
    async updateChannel(channelId, patch) {
      const set = {
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.topic !== undefined ? { topic: patch.topic } : {}),
        ...(patch.parentId !== undefined ? { parent_id: patch.parentId } : {}),
        ...(patch.position !== undefined ? { position: patch.position } : {}),
        ...(patch.historyPolicy !== undefined ? { history_policy: patch.historyPolicy } : {}),
      };
      if (Object.keys(set).length === 0) return; // SQL has no empty SET
      await db.updateTable("community_channels").set(set).where("id", "=", channelId).execute();
    },
    async setChannelGroup(channelId, groupId) {
      const updated = await db
        .updateTable("community_channels")
        .set({ group_id: groupId })
        .where("id", "=", channelId)
        .where("group_id", "is", null)
        .executeTakeFirst();
      return updated.numUpdatedRows > 0n;
    },
    async deleteChannel(channelId) {
      await db.deleteFrom("channel_overwrites").where("channel_id", "=", channelId).execute();
      await db
        .updateTable("community_channels")
        .set({ parent_id: null })
        .where("parent_id", "=", channelId)
        .execute();
      await db.deleteFrom("community_channels").where("id", "=", channelId).execute();
    },
    async findChannel(channelId) {
      const r = await db
        .selectFrom("community_channels")
        .selectAll()
        .where("id", "=", channelId)
        .executeTakeFirst();
      return r && channel(r);
    },
    async findChannelByGroup(groupId) {
      const r = await db
        .selectFrom("community_channels")
        .selectAll()
        .where("group_id", "=", groupId)
        .executeTakeFirst();
      return r && channel(r);
    },
    async listChannels(communityId) {
      const rows = await db
        .selectFrom("community_channels")
        .selectAll()
        .where("community_id", "=", communityId)
        .orderBy("position")
        .orderBy("created_at")
        .orderBy("id")
        .execute();
      return rows.map(channel);
    },

    async putOverwrite(o) {
      const values = { target_type: o.targetType, allow: o.allow, deny: o.deny };
      await db
        .insertInto("channel_overwrites")
        .values({ channel_id: o.channelId, target_id: o.targetId, ...values })
        .onConflict((oc) => oc.columns(["channel_id", "target_id"]).doUpdateSet(values))
        .execute();
    },
    async deleteOverwrite(channelId, targetId) {
      const deleted = await db
        .deleteFrom("channel_overwrites")
        .where("channel_id", "=", channelId)
        .where("target_id", "=", targetId)
        .executeTakeFirst();
      return deleted.numDeletedRows > 0n;
    },
    async listOverwrites(channelId) {
      const rows = await db
        .selectFrom("channel_overwrites")
        .selectAll()
        .where("channel_id", "=", channelId)
        .execute();
      return rows.map(overwrite);
    },
    async listCommunityOverwrites(communityId) {
      const rows = await db
        .selectFrom("channel_overwrites")
        .selectAll()
        .where(
          "channel_id",
          "in",
          db.selectFrom("community_channels").select("id").where("community_id", "=", communityId),
        )
        .execute();
      return rows.map(overwrite);
    },

    async insertBan(b) {
      const values = { reason: b.reason, banned_by: b.bannedBy, created_at: b.createdAt };
      await db
        .insertInto("community_bans")
        .values({ community_id: b.communityId, account_id: b.accountId, ...values })
        .onConflict((oc) => oc.columns(["community_id", "account_id"]).doUpdateSet(values))
        .execute();
    },
    async deleteBan(communityId, accountId) {
      const deleted = await db
        .deleteFrom("community_bans")
        .where("community_id", "=", communityId)
        .where("account_id", "=", accountId)
        .executeTakeFirst();
      return deleted.numDeletedRows > 0n;
    },
    async isBanned(communityId, accountId) {
      const r = await db
        .selectFrom("community_bans")
        .select("account_id")
        .where("community_id", "=", communityId)
        .where("account_id", "=", accountId)
        .executeTakeFirst();
      return r !== undefined;
    },
    async listBans(communityId) {
      const rows = await db
        .selectFrom("community_bans as b")
        .innerJoin("accounts as a", "a.id", "b.account_id")
        .select(["b.account_id", "b.reason", "b.banned_by", "b.created_at", "a.handle"])
        .where("b.community_id", "=", communityId)
        .orderBy("b.created_at", "desc")
        .execute();
      return rows.map((r) => ({
        communityId,
        accountId: r.account_id,
        handle: r.handle,
        reason: r.reason,
        bannedBy: r.banned_by,
        createdAt: num(r.created_at),
      }));
    },

    async insertInvite(i) {
      await db
        .insertInto("community_invites")
        .values({
          code: i.code,
          community_id: i.communityId,
          creator_account_id: i.creatorAccountId,
          created_at: i.createdAt,
          expires_at: i.expiresAt,
          max_uses: i.maxUses,
          uses: i.uses,
        })
        .execute();
    },
    async findInvite(code) {
      const r = await db
        .selectFrom("community_invites")
        .selectAll()
        .where("code", "=", code)
        .executeTakeFirst();
      return r && invite(r);
    },
    async listInvites(communityId) {
      const rows = await db
        .selectFrom("community_invites")
        .selectAll()
        .where("community_id", "=", communityId)
        .orderBy("created_at", "desc")
        .execute();
      return rows.map(invite);
    },
    async deleteInvite(code) {
      const deleted = await db.deleteFrom("community_invites").where("code", "=", code).executeTakeFirst();
      return deleted.numDeletedRows > 0n;
    },
    async useInvite(code, now) {
      const updated = await db
        .updateTable("community_invites")
        .set((eb) => ({ uses: eb("uses", "+", 1) }))
        .where("code", "=", code)
        .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", now)]))
        .where((eb) => eb.or([eb("max_uses", "is", null), eb("uses", "<", eb.ref("max_uses"))]))
        .executeTakeFirst();
      return updated.numUpdatedRows > 0n;
    },

    async appendAudit(e) {
      const last = await db
        .selectFrom("community_audit_log")
        .select((eb) => eb.fn.max("seq").as("seq"))
        .where("community_id", "=", e.communityId)
        .executeTakeFirst();
      await db
        .insertInto("community_audit_log")
        .values({
          id: e.id,
          community_id: e.communityId,
          seq: num(last?.seq ?? 0) + 1,
          actor_account_id: e.actorAccountId,
          action: e.action,
          target_id: e.targetId,
          reason: e.reason,
          created_at: e.createdAt,
        })
        .execute();
    },
    async listAudit(communityId, limit) {
      const rows = await db
        .selectFrom("community_audit_log")
        .selectAll()
        .where("community_id", "=", communityId)
        .orderBy("seq", "desc")
        .limit(limit)
        .execute();
      return rows.map(audit);
    },
  };
}
