import type { Kysely } from "kysely";
import { conflictAs } from "../driver-errors.js";
import type { Database } from "../schema.js";
import type { GroupRecord, GroupRepository, MembershipRecord } from "../types.js";
import type { PreparedQueries, QueryTemplate } from "./prepared-queries.js";
import { membershipPolicy, num, numOrNull } from "./rows.js";

/**
 * Hot path: every message appended allocates the next seq of its group (locking the group's row) and
 * charges its bytes to the group, in one statement.
 */
const NEXT_SEQ: QueryTemplate<{
  epoch: number;
  last_seq: number;
  membership_policy: string;
  stored_bytes: number;
}> = (db, [id, bytes]) =>
  db
    .updateTable("groups")
    .set((eb) => ({
      last_seq: eb("last_seq", "+", 1),
      stored_bytes: eb("stored_bytes", "+", eb.cast<number>(eb.val(bytes), "bigint")),
    }))
    .where("id", "=", id as string)
    .returning(["epoch", "last_seq", "membership_policy", "stored_bytes"]);
/** Hot path: every message appended checks its sender's membership (twice). */
const FIND_MEMBERSHIP: QueryTemplate<Database["group_members"]> = (db, [groupId, deviceId]) =>
  db
    .selectFrom("group_members")
    .selectAll()
    .where("group_id", "=", groupId as string)
    .where("device_id", "=", deviceId as string)
    .limit(1);

/** {@link GroupRepository} over Kysely. */
export function kyselyGroupRepository(db: Kysely<Database>, prepared: PreparedQueries): GroupRepository {
  const toMembership = (r: Database["group_members"]): MembershipRecord => ({
    groupId: r.group_id,
    deviceId: r.device_id,
    joinedSeq: num(r.joined_seq),
    leftSeq: numOrNull(r.left_seq),
  });
  return {
    async insert(g) {
      await conflictAs(
        "group",
        db
          .insertInto("groups")
          .values({
            id: g.id,
            epoch: g.epoch,
            last_seq: g.lastSeq,
            created_at: g.createdAt,
            membership_policy: g.membershipPolicy,
          })
          .execute(),
      );
    },
    async find(id) {
      const row = await db.selectFrom("groups").selectAll().where("id", "=", id).executeTakeFirst();
      return (
        row &&
        ({
          id: row.id,
          epoch: num(row.epoch),
          lastSeq: num(row.last_seq),
          createdAt: num(row.created_at),
          membershipPolicy: membershipPolicy(row.membership_policy),
        } satisfies GroupRecord)
      );
    },
    async advanceEpoch(id, expectedEpoch) {
      const row = await db
        .updateTable("groups")
        .set((eb) => ({ epoch: eb("epoch", "+", 1), last_seq: eb("last_seq", "+", 1) }))
        .where("id", "=", id)
        .where("epoch", "=", expectedEpoch)
        .returning(["epoch", "last_seq"])
        .executeTakeFirst();
      return row && { epoch: num(row.epoch), lastSeq: num(row.last_seq) };
    },
    async nextSeq(id, storedBytes = 0) {
      const [row] = (await prepared.execute(db, NEXT_SEQ, [id, storedBytes])).rows;
      return (
        row && {
          epoch: num(row.epoch),
          lastSeq: num(row.last_seq),
          membershipPolicy: membershipPolicy(row.membership_policy),
          storedBytes: num(row.stored_bytes),
        }
      );
    },
    async listMembers(groupId) {
      const rows = await db
        .selectFrom("group_members")
        .select("device_id")
        .where("group_id", "=", groupId)
        .where("left_seq", "is", null)
        .orderBy("joined_seq")
        .orderBy("device_id")
        .execute();
      return rows.map((r) => r.device_id);
    },
    async findMembership(groupId, deviceId) {
      const [row] = (await prepared.execute(db, FIND_MEMBERSHIP, [groupId, deviceId])).rows;
      return row && toMembership(row);
    },
    async listMemberships(deviceId) {
      const rows = await db
        .selectFrom("group_members")
        .selectAll()
        .where("device_id", "=", deviceId)
        .orderBy("group_id")
        .execute();
      return rows.map(toMembership);
    },
    async addMembers(groupId, deviceIds, joinedSeq) {
      for (const deviceId of deviceIds) {
        await db
          .insertInto("group_members")
          .values({ group_id: groupId, device_id: deviceId, joined_seq: joinedSeq, left_seq: null })
          .onConflict((oc) =>
            oc.columns(["group_id", "device_id"]).doUpdateSet({ joined_seq: joinedSeq, left_seq: null }),
          )
          .execute();
      }
    },
    async endMemberships(groupId, deviceIds, leftSeq) {
      for (let i = 0; i < deviceIds.length; i += 500) {
        await db
          .updateTable("group_members")
          .set({ left_seq: leftSeq })
          .where("group_id", "=", groupId)
          .where("device_id", "in", deviceIds.slice(i, i + 500))
          .where("left_seq", "is", null)
          .execute();
      }
    },
    async listPeerAccounts(accountId) {
      const rows = await db
        .selectFrom("devices as own")
        .innerJoin("group_members as mine", "mine.device_id", "own.id")
        .innerJoin("group_members as theirs", "theirs.group_id", "mine.group_id")
        .innerJoin("devices as peer", "peer.id", "theirs.device_id")
        .innerJoin("accounts", "accounts.id", "peer.account_id")
        .select(["accounts.id", "accounts.handle"])
        .distinct()
        .where("own.account_id", "=", accountId)
        .where("mine.left_seq", "is", null)
        .where("theirs.left_seq", "is", null)
        .where("peer.account_id", "!=", accountId)
        .orderBy("accounts.id")
        .execute();
      return rows.map((r) => ({ accountId: r.id, handle: r.handle }));
    },
    async putTree(groupId, epoch, ratchetTree, accountId) {
      const account_id = accountId ?? null;
      await db
        .insertInto("group_trees")
        .values({ group_id: groupId, epoch, ratchet_tree: ratchetTree, account_id })
        .onConflict((oc) =>
          oc.columns(["group_id", "epoch"]).doUpdateSet({ ratchet_tree: ratchetTree, account_id }),
        )
        .execute();
    },
    async findTree(groupId, epoch) {
      const row = await db
        .selectFrom("group_trees")
        .select("ratchet_tree")
        .where("group_id", "=", groupId)
        .where("epoch", "=", epoch)
        .executeTakeFirst();
      return row?.ratchet_tree;
    },
  };
}
