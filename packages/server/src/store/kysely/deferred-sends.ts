import { type Kysely, sql } from "kysely";
import { conflictAs } from "../driver-errors.js";
import type { DeferredBatch } from "../group-commit.js";
import type { Database } from "../schema.js";
import type { DeferredSend, LogEntryRecord } from "../types.js";
import { num } from "./rows.js";

/** A deferred check or allocation failed: the batch must run again without deferral. */
class DeferredCheckFailed extends Error {}

/** An entry to append at the batch's end, its account's charge, and what checks the account's total. */
interface DeferredAppend {
  entry: LogEntryRecord;
  accountId: string;
  bytes: number;
  check: (accountBytes: number | undefined) => void;
}

/**
 * The {@link DeferredBatch} of one PostgreSQL transaction. At the batch's end, in this order:
 * - one statement allocates the seqs of the sends deferred whole, for every group at once
 *   (`groups` updated from `unnest` of the groups, their counts and summed bytes), and gives each
 *   send its seq in call order;
 * - one statement appends every deferred entry, charges their senders' accounts (the insert from
 *   `unnest` in a data-modifying WITH, each account updated once with its summed bytes) and counts
 *   the deferred memberships found (`group_members` joined with the pairs passed as arrays). Its
 *   snapshot is taken after the allocation locked every group row, so no removal can land between
 *   it and the commit; a missing membership fails the batch (rolled back, the insert with it);
 * - each send's checks run with the totals those statements returned.
 * The statements' texts do not depend on how many calls deferred. PostgreSQL only (`unnest` of
 * several arrays, INSERT in WITH).
 *
 * @param db the batch's transaction
 */
export function postgresDeferredSends(db: Kysely<Database>): DeferredBatch {
  const members = new Map<string, [groupId: string, deviceId: string]>();
  const appends: DeferredAppend[] = [];
  /** Sends deferred whole and not yet allocated, by group, in call order. */
  const unallocated = new Map<string, DeferredSend[]>();

  const allocate = async (groupIds: string[]) => {
    if (groupIds.length === 0) return;
    const sends = groupIds.map((id) => unallocated.get(id) ?? []);
    for (const id of groupIds) unallocated.delete(id);
    const { rows } = await sql<{
      id: string;
      last_seq: string;
      epoch: string;
      membership_policy: string;
      stored_bytes: string;
    }>`
      update groups set last_seq = groups.last_seq + a.n, stored_bytes = groups.stored_bytes + a.bytes
      from unnest(${groupIds}::text[], ${sends.map((s) => s.length)}::bigint[],
        ${sends.map((s) => s.reduce((n, x) => n + x.bytes, 0))}::bigint[]) as a(id, n, bytes)
      where groups.id = a.id
      returning groups.id, groups.last_seq, groups.epoch, groups.membership_policy, groups.stored_bytes`.execute(
      db,
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    groupIds.forEach((id, i) => {
      const row = byId.get(id);
      const inGroup = sends[i] ?? [];
      if (!row) throw new DeferredCheckFailed(`no group ${id}`);
      const group = { epoch: num(row.epoch), storedBytes: num(row.stored_bytes) };
      const first = num(row.last_seq) - inGroup.length + 1;
      inGroup.forEach((send, k) => {
        if (send.membershipPolicy !== row.membership_policy) throw new DeferredCheckFailed("another policy");
        send.entry.seq = first + k;
        appends.push({
          entry: send.entry,
          accountId: send.accountId,
          bytes: send.bytes,
          check: (accountBytes) => send.check(group, accountBytes),
        });
      });
    });
  };

  /**
   * The query counting the deferred memberships that are open: `group_members` joined with the
   * (group, device) pairs passed as two arrays. Used alone or as a CTE of the append's statement.
   */
  const foundMemberships = () => {
    const pairs = [...members.values()];
    return sql<{ found: string }>`
      select count(*) as found from group_members m
      join unnest(${pairs.map(([g]) => g)}::text[], ${pairs.map(([, d]) => d)}::text[]) as w(group_id, device_id)
        on m.group_id = w.group_id and m.device_id = w.device_id
      where m.left_seq is null`;
  };

  /** Throws unless `found` (the count of {@link foundMemberships}) is every deferred membership. */
  const requireFound = (found: string | number | undefined) => {
    const missing = members.size - num(found ?? 0);
    if (missing > 0) throw new DeferredCheckFailed(`${missing} deferred membership check(s) failed`);
  };

  /** Checks the deferred memberships alone (when no statement appended and counted them). */
  const checkMemberships = async () => {
    if (members.size === 0) return;
    const { rows } = await foundMemberships().execute(db);
    requireFound(rows[0]?.found);
  };

  /**
   * Appends every deferred entry and checks the deferred memberships in the same statement;
   * returns each charged account's total.
   */
  const appendAll = async (): Promise<Map<string, number>> => {
    if (appends.length === 0) {
      await checkMemberships();
      return new Map();
    }
    const column = <T>(pick: (e: LogEntryRecord) => T) => appends.map((a) => pick(a.entry));
    const charges = new Map<string, number>();
    for (const { accountId, bytes } of appends) charges.set(accountId, (charges.get(accountId) ?? 0) + bytes);
    const { rows } = await conflictAs(
      "log entry",
      sql<{ id: string; stored_bytes: string; found: string }>`
        with appended as (
          insert into group_log (group_id, seq, kind, message_id, sender_device_id, epoch, payload, created_at)
          select * from unnest(
            ${column((e) => e.groupId)}::text[], ${column((e) => e.seq)}::bigint[],
            ${column((e) => e.kind)}::text[], ${column((e) => e.messageId)}::text[],
            ${column((e) => e.senderDeviceId)}::text[], ${column((e) => e.epoch)}::bigint[],
            ${column((e) => e.payload)}::text[], ${column((e) => e.createdAt)}::bigint[])
        ),
        found as (${foundMemberships()})
        update accounts set stored_bytes = accounts.stored_bytes + charge.bytes
        from unnest(${[...charges.keys()]}::text[], ${[...charges.values()]}::bigint[]) as charge(id, bytes)
        where accounts.id = charge.id
        returning accounts.id, accounts.stored_bytes, (select found from found) as found`.execute(db),
    );
    // no account row was charged (none exists): the count came back with none of them
    if (rows.length === 0) await checkMemberships();
    else requireFound(rows[0]?.found);
    return new Map(rows.map((r) => [r.id, num(r.stored_bytes)]));
  };

  return {
    requireMembership(groupId, deviceId) {
      members.set(`${groupId}\u0000${deviceId}`, [groupId, deviceId]);
    },
    appendCharging(entry, accountId, bytes, check) {
      appends.push({ entry, accountId, bytes, check });
    },
    send(send) {
      const inGroup = unallocated.get(send.entry.groupId);
      if (inGroup) inGroup.push(send);
      else unallocated.set(send.entry.groupId, [send]);
    },
    async allocatePending(groupId) {
      if (unallocated.has(groupId)) await allocate([groupId]);
    },
    async flush() {
      await allocate([...unallocated.keys()]);
      const totals = await appendAll();
      for (const { accountId, check } of appends) check(totals.get(accountId));
    },
  };
}
