import { CompiledQuery, type Kysely, type Transaction } from "kysely";
import type { Database } from "./schema.js";
import type { DeferredSends, SharedRepositories } from "./types.js";

/** Most calls sharing one database transaction. */
const MAX_BATCH = 256;
/**
 * How long after a call failed in a batch run without savepoints the batches put every call in a
 * savepoint from the start (ms): a client whose sends keep failing costs the others' batches no
 * second run.
 */
const ISOLATED_FOR_MS = 1_000;

interface Job {
  fn: (tx: SharedRepositories) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * A call failed in a batch run without savepoints, or what the calls deferred to its end did
 * (`atEnd`: no one call's failure): the batch's transaction is rolled back.
 */
class CallFailed extends Error {
  constructor(
    readonly failure: unknown,
    readonly atEnd = false,
  ) {
    super("a call of the batch failed");
  }
}

/**
 * What a batch's calls deferred to its end ({@link DeferredSends}), and `flush`, which the group
 * commit runs after the last call: it runs the deferred statements and checks, and throws when one
 * fails (nothing of the batch may then be committed).
 */
export interface DeferredBatch extends DeferredSends {
  flush(): Promise<void>;
}

/** The savepoint statements around every call, compiled once (see `GroupCommitOptions.multiStatement` for how they are sent). */
const SAVEPOINT = CompiledQuery.raw("savepoint volly_call");
const ROLLBACK_TO_SAVEPOINT = CompiledQuery.raw("rollback to savepoint volly_call");
const RELEASE_SAVEPOINT = CompiledQuery.raw("release savepoint volly_call");

/** How a batch's transaction is opened around its calls (see {@link createGroupCommit}). */
export interface GroupCommitOptions {
  /**
   * A statement run first in every batch's transaction (PostgreSQL: a transaction-scoped advisory
   * lock, so the batches of several nodes take their row locks one batch at a time and cannot
   * deadlock each other). Without parameters.
   */
  first?: CompiledQuery;
  /**
   * The database takes several statements in one query (PostgreSQL's simple query protocol; not
   * better-sqlite3): a call's savepoint is then sent with the statement before it (the batch's
   * first statement, or the previous call's release or rollback) and the last release is left to
   * the commit, which releases every savepoint — one round trip per call fewer. Default false.
   */
  multiStatement?: boolean;
}

/**
 * Group commit: runs concurrent transactional calls in one database transaction, so N writes that
 * arrive together cost one commit (one WAL fsync on SQLite) instead of N. A batch runs its calls one
 * after another without savepoints first, as nearly every call succeeds. When one throws, the whole
 * transaction is rolled back and the batch runs again with each call inside a SAVEPOINT: a call
 * that throws then rolls back only its own writes and rejects with its error, the others are
 * unaffected. So a call may run more than once (as after a retryable failure) and must have no
 * effect outside the transaction. For {@link ISOLATED_FOR_MS} after such a failure, batches start
 * with savepoints. A batch of one call needs none: its failure rolls back a transaction of its own.
 * In a run without savepoints the calls may defer a send's checks and writes to the batch's end
 * (`tx.deferred`, where the store offers it), one statement for all of them; when those fail the
 * batch runs again with savepoints and nothing deferred, a batch of one call too.
 * Every call settles only after the shared transaction has committed, so a resolved call is
 * durable exactly as with its own transaction. Calls that arrive while a batch is running wait for
 * the next one (at most {@link MAX_BATCH} per transaction).
 *
 * @param transaction runs `fn` in one database transaction with the raw Kysely transaction (so
 *   savepoints can be issued) and its repositories, and with `defer` a {@link DeferredBatch} when
 *   the store can defer sends (else undefined), which is then also the repositories' `deferred`;
 *   may run `fn` again after a retryable failure
 * @param options the batch's first statement, and whether statements may be sent together
 * @returns the function that queues a call: it resolves with `fn`'s result once committed, or
 *   rejects with `fn`'s error (nothing of it written) or with the commit's error (nothing written)
 */
export function createGroupCommit(
  transaction: <T>(
    fn: (
      trx: Transaction<Database> | Kysely<Database>,
      tx: SharedRepositories,
      deferred?: DeferredBatch,
    ) => Promise<T>,
    defer?: boolean,
  ) => Promise<T>,
  options: GroupCommitOptions = {},
): <T>(fn: (tx: SharedRepositories) => Promise<T>) => Promise<T> {
  const queue: Job[] = [];
  let running = false;
  const { first, multiStatement = false } = options;
  const chained = (...statements: CompiledQuery[]) =>
    CompiledQuery.raw(statements.map((q) => q.sql).join("; "));
  /** Opens the first call's savepoint (with `first` when statements may be sent together). */
  const opening = multiStatement
    ? [chained(...(first ? [first] : []), SAVEPOINT)]
    : [...(first ? [first] : []), SAVEPOINT];
  /** After a call that succeeded / failed, when another call follows. */
  const between = multiStatement
    ? {
        ok: [chained(RELEASE_SAVEPOINT, SAVEPOINT)],
        failed: [chained(ROLLBACK_TO_SAVEPOINT, RELEASE_SAVEPOINT, SAVEPOINT)],
      }
    : { ok: [RELEASE_SAVEPOINT, SAVEPOINT], failed: [ROLLBACK_TO_SAVEPOINT, RELEASE_SAVEPOINT, SAVEPOINT] };
  /** After the last call that succeeded / failed (the commit releases the savepoint itself). */
  const closing = multiStatement
    ? { ok: [], failed: [ROLLBACK_TO_SAVEPOINT] }
    : { ok: [RELEASE_SAVEPOINT], failed: [ROLLBACK_TO_SAVEPOINT, RELEASE_SAVEPOINT] };

  /** Until when (performance.now(), ms) batches put every call in a savepoint from the start. */
  let isolatedUntil = 0;

  /**
   * One call after another, no savepoints, and what they defer run at the end: the first call that
   * throws, or a deferred statement or check that fails, rolls the batch back.
   */
  const runOptimistic = async (jobs: Job[]): Promise<Outcome[]> => {
    let outcomes: Outcome[] = [];
    await transaction(async (trx, tx, deferred) => {
      outcomes = [];
      if (first) await trx.executeQuery(first);
      for (const job of jobs) {
        try {
          outcomes.push({ ok: true, value: await job.fn(tx) });
        } catch (error) {
          throw new CallFailed(error);
        }
      }
      try {
        await deferred?.flush();
      } catch (error) {
        throw new CallFailed(error, true);
      }
    }, true);
    return outcomes;
  };

  /** Each call in a savepoint: a call that throws rolls back its own writes only. */
  const runIsolated = async (jobs: Job[]): Promise<Outcome[]> => {
    let outcomes: Outcome[] = [];
    await transaction(async (trx, tx) => {
      outcomes = [];
      for (const q of opening) await trx.executeQuery(q);
      for (const [i, job] of jobs.entries()) {
        let ok = true;
        try {
          outcomes.push({ ok: true, value: await job.fn(tx) });
        } catch (error) {
          outcomes.push({ ok: false, error });
          ok = false;
        }
        const next = i < jobs.length - 1 ? between : closing;
        for (const q of ok ? next.ok : next.failed) await trx.executeQuery(q);
      }
    });
    return outcomes;
  };

  /** Runs one batch: resolves with each call's outcome, rejects when its transaction failed. */
  const runBatch = async (jobs: Job[]): Promise<Outcome[]> => {
    if (jobs.length > 1 && performance.now() < isolatedUntil) return runIsolated(jobs);
    try {
      return await runOptimistic(jobs);
    } catch (error) {
      if (!(error instanceof CallFailed)) throw error;
      // a lone call's own failure is its answer; a deferred one is found again without deferral
      if (jobs.length === 1 && !error.atEnd) return [{ ok: false, error: error.failure }];
      isolatedUntil = performance.now() + ISOLATED_FOR_MS;
      return runIsolated(jobs);
    }
  };

  const runBatches = async () => {
    while (queue.length > 0) {
      // A transaction on better-sqlite3 runs start to commit in microtasks, without yielding to I/O:
      // wait for the requests already received to queue their calls first, or every batch is one.
      await new Promise((resolve) => setImmediate(resolve));
      const jobs = queue.splice(0, MAX_BATCH);
      let outcomes: Outcome[];
      try {
        outcomes = await runBatch(jobs);
      } catch (error) {
        for (const job of jobs) job.reject(error);
        continue;
      }
      jobs.forEach((job, i) => {
        const outcome = outcomes[i] as Outcome;
        if (outcome.ok) job.resolve(outcome.value);
        else job.reject(outcome.error);
      });
    }
    running = false;
  };

  return <T>(fn: (tx: SharedRepositories) => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      if (!running) {
        running = true;
        void runBatches();
      }
    });
}
