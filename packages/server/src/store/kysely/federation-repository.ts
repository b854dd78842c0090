import type { Kysely } from "kysely";
import { conflictAs } from "../driver-errors.js";
import type { Database } from "../schema.js";
import type { FederationRepository } from "../types.js";
import { num } from "./rows.js";

/** Ids per `IN (…)` list: well under SQLite's and PostgreSQL's parameter limits. */
const CHUNK = 500;

/** Adds the `devices` rows of `devices` not among `stored` (a device's id and key, no name). */
async function insertDevices(
  db: Kysely<Database>,
  accountId: string,
  devices: readonly { deviceId: string; signaturePublicKey: string }[],
  stored: readonly { id: string }[],
  createdAt: number,
): Promise<void> {
  const known = new Set(stored.map((d) => d.id));
  for (const device of devices) {
    if (known.has(device.deviceId)) continue;
    await conflictAs(
      "device",
      db
        .insertInto("devices")
        .values({
          id: device.deviceId,
          account_id: accountId,
          signature_public_key: device.signaturePublicKey,
          name: "",
          created_at: createdAt,
          revoked_at: null,
        })
        .execute(),
    );
  }
}

/**
 * {@link FederationRepository} over Kysely (tables `federation_accounts` and `federation_groups`,
 * migration 0014, with `accounts`, `devices`, `groups`, `group_members` and `welcomes`).
 */
export function kyselyFederationRepository(db: Kysely<Database>): FederationRepository {
  return {
    async putRemoteAccount(account) {
      const handle = `${account.user}@${account.server}`;
      const existing = await db
        .selectFrom("accounts")
        .select(["id"])
        .where("id", "=", account.accountId)
        .executeTakeFirst();
      if (existing) {
        await conflictAs(
          "account",
          db
            .updateTable("accounts")
            .set({ handle, entity_type: account.entityType, display_name: account.displayName ?? null })
            .where("id", "=", account.accountId)
            .execute(),
        );
        await db
          .updateTable("federation_accounts")
          .set({ server: account.server, user_handle: account.user, fetched_at: account.fetchedAt })
          .where("account_id", "=", account.accountId)
          .execute();
      } else {
        await conflictAs(
          "account",
          db
            .insertInto("accounts")
            .values({
              id: account.accountId,
              handle,
              entity_type: account.entityType,
              created_at: account.fetchedAt,
              display_name: account.displayName ?? null,
            })
            .execute(),
        );
        await db
          .insertInto("federation_accounts")
          .values({
            account_id: account.accountId,
            server: account.server,
            user_handle: account.user,
            fetched_at: account.fetchedAt,
          })
          .execute();
      }
      const stored = await db
        .selectFrom("devices")
        .select(["id", "revoked_at"])
        .where("account_id", "=", account.accountId)
        .execute();
      const listed = new Set(account.devices.map((d) => d.deviceId));
      await insertDevices(db, account.accountId, account.devices, stored, account.fetchedAt);
      const gone = stored.filter((d) => !listed.has(d.id) && d.revoked_at === null).map((d) => d.id);
      if (gone.length > 0) {
        await db
          .updateTable("devices")
          .set({ revoked_at: account.fetchedAt })
          .where("id", "in", gone)
          .execute();
      }
    },

    async findRemoteAccount(accountId) {
      const row = await db
        .selectFrom("federation_accounts")
        .selectAll()
        .where("account_id", "=", accountId)
        .executeTakeFirst();
      return row && { server: row.server, user: row.user_handle, fetchedAt: num(row.fetched_at) };
    },

    async homesOf(deviceIds) {
      const homes = new Map<string, string>();
      for (let i = 0; i < deviceIds.length; i += CHUNK) {
        const rows = await db
          .selectFrom("devices")
          .innerJoin("federation_accounts", "federation_accounts.account_id", "devices.account_id")
          .select(["devices.id", "federation_accounts.server"])
          .where("devices.id", "in", deviceIds.slice(i, i + CHUNK))
          .execute();
        for (const row of rows) homes.set(row.id, row.server);
      }
      return homes;
    },

    async followerServers(groupId) {
      const rows = await db
        .selectFrom("group_members")
        .innerJoin("devices", "devices.id", "group_members.device_id")
        .innerJoin("federation_accounts", "federation_accounts.account_id", "devices.account_id")
        .select("federation_accounts.server")
        .distinct()
        .where("group_members.group_id", "=", groupId)
        .orderBy("federation_accounts.server")
        .execute();
      return rows.map((r) => r.server);
    },

    async insertMirror(groupId, hub) {
      await db
        .insertInto("federation_groups")
        .values({ group_id: groupId, hub })
        .onConflict((oc) => oc.column("group_id").doNothing())
        .execute();
    },

    async findMirror(groupId) {
      const row = await db
        .selectFrom("federation_groups")
        .selectAll()
        .where("group_id", "=", groupId)
        .executeTakeFirst();
      return row && { groupId: row.group_id, hub: row.hub, mirroredSeq: num(row.mirrored_seq) };
    },

    async listMirrors() {
      const rows = await db.selectFrom("federation_groups").selectAll().orderBy("group_id").execute();
      return rows.map((row) => ({ groupId: row.group_id, hub: row.hub, mirroredSeq: num(row.mirrored_seq) }));
    },

    async advanceMirror(groupId, seq, epoch) {
      await db
        .updateTable("federation_groups")
        .set({ mirrored_seq: seq })
        .where("group_id", "=", groupId)
        .where("mirrored_seq", "<", seq)
        .execute();
      await db
        .updateTable("groups")
        .set({ last_seq: seq, epoch })
        .where("id", "=", groupId)
        .where("last_seq", "<=", seq)
        .execute();
    },

    async moveOut(move) {
      if (
        await db
          .selectFrom("account_moves")
          .select("handle")
          .where("handle", "=", move.handle)
          .executeTakeFirst()
      )
        return;
      await conflictAs(
        "account",
        db
          .updateTable("accounts")
          .set({ handle: `${move.user}@${move.server}` })
          .where("id", "=", move.accountId)
          .execute(),
      );
      await db
        .insertInto("federation_accounts")
        .values({
          account_id: move.accountId,
          server: move.server,
          user_handle: move.user,
          fetched_at: move.movedAt,
        })
        .onConflict((oc) =>
          oc.column("account_id").doUpdateSet({ server: move.server, user_handle: move.user }),
        )
        .execute();
      await db
        .insertInto("account_moves")
        .values({
          handle: move.handle,
          account_id: move.accountId,
          moved_to: `${move.user}@${move.server}`,
          moved_at: move.movedAt,
          record: move.record,
        })
        .execute();
    },

    async findMove(handle) {
      const row = await db
        .selectFrom("account_moves")
        .selectAll()
        .where("handle", "=", handle)
        .executeTakeFirst();
      if (!row) return undefined;
      const at = row.moved_to.lastIndexOf("@");
      return {
        accountId: row.account_id,
        handle: row.handle,
        user: row.moved_to.slice(0, at),
        server: row.moved_to.slice(at + 1),
        movedAt: num(row.moved_at),
        record: row.record,
      };
    },

    async moveIn(account) {
      const existing = await db
        .selectFrom("accounts")
        .select(["id"])
        .where("id", "=", account.accountId)
        .executeTakeFirst();
      await db.deleteFrom("account_moves").where("account_id", "=", account.accountId).execute();
      if (existing) {
        await db.deleteFrom("federation_accounts").where("account_id", "=", account.accountId).execute();
        await conflictAs(
          "account",
          db
            .updateTable("accounts")
            .set({
              handle: account.handle,
              entity_type: account.entityType,
              display_name: account.displayName ?? null,
            })
            .where("id", "=", account.accountId)
            .execute(),
        );
      } else {
        await conflictAs(
          "account",
          db
            .insertInto("accounts")
            .values({
              id: account.accountId,
              handle: account.handle,
              entity_type: account.entityType,
              created_at: account.createdAt,
              display_name: account.displayName ?? null,
            })
            .execute(),
        );
      }
      const stored = await db
        .selectFrom("devices")
        .select("id")
        .where("account_id", "=", account.accountId)
        .execute();
      await insertDevices(db, account.accountId, account.devices, stored, account.createdAt);
    },

    async queueOutbox(notes) {
      if (notes.length === 0) return;
      await db
        .insertInto("federation_outbox")
        .values(
          notes.map((n) => ({
            id: n.id,
            server: n.server,
            path: n.path,
            body: n.body,
            created_at: n.createdAt,
          })),
        )
        .execute();
    },

    async listOutbox(limit) {
      const rows = await db
        .selectFrom("federation_outbox")
        .selectAll()
        .orderBy("created_at")
        .orderBy("id")
        .limit(limit)
        .execute();
      return rows.map((r) => ({
        id: r.id,
        server: r.server,
        path: r.path,
        body: r.body,
        createdAt: num(r.created_at),
      }));
    },

    async deleteOutbox(id) {
      await db.deleteFrom("federation_outbox").where("id", "=", id).execute();
    },

    async serversSharingGroups(accountId) {
      const rows = await db
        .selectFrom("group_members as mine")
        .innerJoin("devices as my_devices", "my_devices.id", "mine.device_id")
        .innerJoin("group_members as theirs", "theirs.group_id", "mine.group_id")
        .innerJoin("devices as their_devices", "their_devices.id", "theirs.device_id")
        .innerJoin("federation_accounts", "federation_accounts.account_id", "their_devices.account_id")
        .select("federation_accounts.server")
        .distinct()
        .where("my_devices.account_id", "=", accountId)
        .where("mine.left_seq", "is", null)
        .where("theirs.left_seq", "is", null)
        .orderBy("federation_accounts.server")
        .execute();
      return rows.map((r) => r.server);
    },

    async listRemoteWelcomes(limit) {
      const rows = await db
        .selectFrom("welcomes")
        .innerJoin("devices", "devices.id", "welcomes.device_id")
        .innerJoin("federation_accounts", "federation_accounts.account_id", "devices.account_id")
        .select(["welcomes.id", "welcomes.device_id", "federation_accounts.server"])
        .where("welcomes.acked_at", "is", null)
        .orderBy("welcomes.created_at")
        .orderBy("welcomes.id")
        .limit(limit)
        .execute();
      return rows.map((r) => ({ deviceId: r.device_id, welcomeId: r.id, server: r.server }));
    },
  };
}
