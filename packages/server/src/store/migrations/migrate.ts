import { type Kysely, type Migration, type MigrationProvider, Migrator } from "kysely";
import type { Database } from "../schema.js";
import { migration0001Initial } from "./0001-initial.js";
import { migration0002DisplayNamesMembershipEnd } from "./0002-display-names-membership-end.js";
import { migration0003DeviceLinks } from "./0003-device-links.js";
import { migration0004GroupAdminsInfo } from "./0004-group-admins-info.js";
import { migration0005CommitWelcomes } from "./0005-commit-welcomes.js";
import { migration0006GroupMembershipPolicy } from "./0006-group-membership-policy.js";
import { migration0007StorageQuotas } from "./0007-storage-quotas.js";
import { migration0008Communities } from "./0008-communities.js";
import { migration0009AccountStatuses } from "./0009-account-statuses.js";
import { migration0010AccountRecovery } from "./0010-account-recovery.js";
import { migration0011ScheduledMessages } from "./0011-scheduled-messages.js";
import { migration0012Blobs } from "./0012-blobs.js";
import { migration0013ApiKeys } from "./0013-api-keys.js";
import { migration0014Federation } from "./0014-federation.js";
import { migration0015AccountMoves } from "./0015-account-moves.js";
import { migration0016RemoteCommunities } from "./0016-remote-communities.js";

/** Every migration, by name; names sort in the order they run. */
export const MIGRATIONS: Record<string, Migration> = {
  "0001-initial": migration0001Initial,
  "0002-display-names-membership-end": migration0002DisplayNamesMembershipEnd,
  "0003-device-links": migration0003DeviceLinks,
  "0004-group-admins-info": migration0004GroupAdminsInfo,
  "0005-commit-welcomes": migration0005CommitWelcomes,
  "0006-group-membership-policy": migration0006GroupMembershipPolicy,
  "0007-storage-quotas": migration0007StorageQuotas,
  "0008-communities": migration0008Communities,
  "0009-account-statuses": migration0009AccountStatuses,
  "0010-account-recovery": migration0010AccountRecovery,
  "0011-scheduled-messages": migration0011ScheduledMessages,
  "0012-blobs": migration0012Blobs,
  "0013-api-keys": migration0013ApiKeys,
  "0014-federation": migration0014Federation,
  "0015-account-moves": migration0015AccountMoves,
  "0016-remote-communities": migration0016RemoteCommunities,
};

/** A Kysely migration provider over the static {@link MIGRATIONS} table (no filesystem scan). */
export const staticMigrationProvider: MigrationProvider = {
  async getMigrations() {
    return MIGRATIONS;
  },
};

/**
 * Brings the database schema up to the latest migration (Kysely `Migrator`, which records applied
 * migrations in `kysely_migration` and locks against concurrent runs).
 *
 * Safe to run from several processes at once: on PostgreSQL the Migrator holds a session advisory
 * lock (`pg_advisory_lock`) while it works and tolerates another process creating its bookkeeping
 * tables first; the losers find nothing left to do.
 *
 * @returns the names of the migrations this call applied (empty when the schema was up to date)
 * @throws Error when a migration fails (the failing migration's transaction is rolled back)
 */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: staticMigrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName;
    throw new Error(`database migration ${failed ?? "(unknown)"} failed: ${String(error)}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}
