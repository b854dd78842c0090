import { type CompiledQuery, type Kysely, sql } from "kysely";
import { createGroupCommit, type DeferredBatch } from "./group-commit.js";
import { kyselyAccountRecoveryRepository } from "./kysely/account-recovery-repository.js";
import { kyselyAccountStatusRepository } from "./kysely/account-statuses-repository.js";
import { kyselyAccountRepository } from "./kysely/accounts-repository.js";
import { kyselyApiKeyRepository } from "./kysely/api-keys-repository.js";
import { kyselyAuthRepository } from "./kysely/auth-repository.js";
import { kyselyBlobRepository } from "./kysely/blobs-repository.js";
import { kyselyCommunityRepository } from "./kysely/communities-repository.js";
import { kyselyCursorRepository } from "./kysely/cursors-repository.js";
import { postgresDeferredSends } from "./kysely/deferred-sends.js";
import { kyselyDeviceLinkRepository } from "./kysely/device-links-repository.js";
import { kyselyDeviceRepository } from "./kysely/devices-repository.js";
import { kyselyFederationRepository } from "./kysely/federation-repository.js";
import { kyselyGroupStateRepository } from "./kysely/group-state-repository.js";
import { kyselyGroupRepository } from "./kysely/groups-repository.js";
import { kyselyKeyPackageRepository } from "./kysely/key-packages-repository.js";
import { kyselyLogRepository } from "./kysely/log-repository.js";
import { createPreparedQueries, type PreparedQueries } from "./kysely/prepared-queries.js";
import { kyselyRateLimitRepository } from "./kysely/rate-limits-repository.js";
import { kyselyRemoteCommunityRepository } from "./kysely/remote-communities-repository.js";
import { kyselyRetentionRepository } from "./kysely/retention-repository.js";
import { kyselyScheduledRepository } from "./kysely/scheduled-repository.js";
import { kyselyStorageRepository } from "./kysely/storage-repository.js";
import { kyselyWelcomeRepository } from "./kysely/welcomes-repository.js";
import type { Database } from "./schema.js";
import type { Repositories, Store } from "./types.js";

function repositories(db: Kysely<Database>, prepared: PreparedQueries, modifyingWith: boolean): Repositories {
  const storage = kyselyStorageRepository(db, prepared);
  return {
    accounts: kyselyAccountRepository(db),
    devices: kyselyDeviceRepository(db, prepared),
    auth: kyselyAuthRepository(db, prepared),
    keyPackages: kyselyKeyPackageRepository(db),
    groups: kyselyGroupRepository(db, prepared),
    log: kyselyLogRepository(db, prepared, storage, { modifyingWith }),
    welcomes: kyselyWelcomeRepository(db),
    cursors: kyselyCursorRepository(db),
    deviceLinks: kyselyDeviceLinkRepository(db),
    groupState: kyselyGroupStateRepository(db),
    retention: kyselyRetentionRepository(db),
    storage,
    rateLimits: kyselyRateLimitRepository(db),
    communities: kyselyCommunityRepository(db),
    accountStatuses: kyselyAccountStatusRepository(db),
    accountRecovery: kyselyAccountRecoveryRepository(db),
    scheduled: kyselyScheduledRepository(db),
    blobs: kyselyBlobRepository(db),
    apiKeys: kyselyApiKeyRepository(db),
    federation: kyselyFederationRepository(db),
    remoteCommunities: kyselyRemoteCommunityRepository(db),
  };
}

/** Options of {@link createKyselyStore}. */
export interface KyselyStoreOptions {
  /**
   * Errors after which a whole transaction is run again (it was rolled back): PostgreSQL deadlocks
   * and serialization failures. Default: none.
   */
  retryable?: (error: unknown) => boolean;
  /** How many times a transaction runs at most when it keeps failing with retryable errors. Default 3. */
  maxAttempts?: number;
  /**
   * A statement run first in every shared batch's transaction (see `createGroupCommit`):
   * PostgreSQL's transaction-scoped advisory lock, so the batches of several nodes lock rows one
   * batch at a time. Default none.
   */
  batchLock?: CompiledQuery;
  /**
   * The driver takes several statements in one query (PostgreSQL): the group commit then sends each
   * call's savepoint with the statement before it (see `GroupCommitOptions.multiStatement`). Default false.
   */
  multiStatement?: boolean;
  /**
   * The database runs INSERT inside WITH (PostgreSQL): a message's append and its account charge are
   * then one statement (see `LogRepository.appendCharging`). Default false.
   */
  modifyingWith?: boolean;
  /**
   * Shared batches run without savepoints let sends defer their membership checks and their appends
   * to the batch's end, one statement each for the batch (`SharedRepositories.deferred`; PostgreSQL
   * only: see `kysely/deferred-sends.ts`). Default false.
   */
  deferSends?: boolean;
}

/**
 * A {@link Store} over any `Kysely<Database>` whose schema is migrated (see `migrateToLatest`).
 * Dialect-agnostic: the SQLite and the PostgreSQL stores both use it, so both run the same
 * repository code.
 *
 * `transaction(fn)` uses Kysely's `db.transaction()` (READ COMMITTED on PostgreSQL, serialised on
 * SQLite); inside `fn` only the repositories passed to it may be used (on SQLite, touching the outer
 * store inside a transaction would wait on Kysely's single-connection mutex forever). When
 * `options.retryable` says a failure was a deadlock or serialization conflict, `fn` runs again (so
 * it must not have effects outside the transaction). `transactionShared(fn)` is the group commit
 * (`group-commit.ts`) on both databases: one transaction, one commit, for the calls that arrive
 * together, run in call order. On SQLite one connection commits (and fsyncs) one transaction at a
 * time; on PostgreSQL one transaction per message held each group's row lock over a chain of round
 * trips and sent each message to the gateways alone (scaled-1 closed loop 13k → 38k deliveries/s
 * once batched, bench/optimizations.md).
 *
 * @param db the Kysely instance; `close()` destroys it
 */
export function createKyselyStore(db: Kysely<Database>, options: KyselyStoreOptions = {}): Store {
  const maxAttempts = options.maxAttempts ?? 3;
  const prepared = createPreparedQueries();
  const modifyingWith = options.modifyingWith ?? false;
  const deferSends = options.deferSends ?? false;
  const run = async <T>(
    fn: (trx: Kysely<Database>, tx: Repositories, deferred?: DeferredBatch) => Promise<T>,
    defer = false,
  ): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await db
          .transaction()
          .execute((trx) =>
            fn(
              trx,
              repositories(trx, prepared, modifyingWith),
              defer && deferSends ? postgresDeferredSends(trx) : undefined,
            ),
          );
      } catch (error) {
        if (attempt >= maxAttempts || !options.retryable?.(error)) throw error;
      }
    }
  };
  return {
    ...repositories(db, prepared, modifyingWith),
    transaction: (fn) => run((_trx, tx) => fn(tx)),
    transactionShared: createGroupCommit(run, {
      ...(options.batchLock ? { first: options.batchLock } : {}),
      multiStatement: options.multiStatement ?? false,
    }),
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
    },
  };
}
