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
import { allRepositories, lazyRepositories } from "./lazy-repositories.js";
import type { Database } from "./schema.js";
import type { SharedRepositories, Store } from "./types.js";

/** What the Kysely repositories are built over: a connection or a transaction, and the dialect's options. */
interface KyselyContext {
  db: Kysely<Database>;
  prepared: PreparedQueries;
  modifyingWith: boolean;
}

/** The Kysely repositories, each built on first use (`lazyRepositories`). */
const kyselyRepositories = lazyRepositories<KyselyContext>({
  accounts: ({ db }) => kyselyAccountRepository(db),
  devices: ({ db, prepared }) => kyselyDeviceRepository(db, prepared),
  auth: ({ db, prepared }) => kyselyAuthRepository(db, prepared),
  keyPackages: ({ db }) => kyselyKeyPackageRepository(db),
  groups: ({ db, prepared }) => kyselyGroupRepository(db, prepared),
  log: ({ db, prepared, modifyingWith }, self) =>
    kyselyLogRepository(db, prepared, self.storage, { modifyingWith }),
  welcomes: ({ db }) => kyselyWelcomeRepository(db),
  cursors: ({ db }) => kyselyCursorRepository(db),
  deviceLinks: ({ db }) => kyselyDeviceLinkRepository(db),
  groupState: ({ db }) => kyselyGroupStateRepository(db),
  retention: ({ db }) => kyselyRetentionRepository(db),
  storage: ({ db, prepared }) => kyselyStorageRepository(db, prepared),
  rateLimits: ({ db }) => kyselyRateLimitRepository(db),
  communities: ({ db }) => kyselyCommunityRepository(db),
  accountStatuses: ({ db }) => kyselyAccountStatusRepository(db),
  accountRecovery: ({ db }) => kyselyAccountRecoveryRepository(db),
  scheduled: ({ db }) => kyselyScheduledRepository(db),
  blobs: ({ db }) => kyselyBlobRepository(db),
  apiKeys: ({ db }) => kyselyApiKeyRepository(db),
  federation: ({ db }) => kyselyFederationRepository(db),
  remoteCommunities: ({ db }) => kyselyRemoteCommunityRepository(db),
});

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
    fn: (trx: Kysely<Database>, tx: SharedRepositories, deferred?: DeferredBatch) => Promise<T>,
    defer = false,
  ): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await db.transaction().execute((trx) => {
          const deferred = defer && deferSends ? postgresDeferredSends(trx) : undefined;
          return fn(trx, kyselyRepositories({ db: trx, prepared, modifyingWith }, deferred), deferred);
        });
      } catch (error) {
        if (attempt >= maxAttempts || !options.retryable?.(error)) throw error;
      }
    }
  };
  return {
    ...allRepositories(kyselyRepositories({ db, prepared, modifyingWith })),
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
