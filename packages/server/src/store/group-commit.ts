import { CompiledQuery, type Kysely, type Transaction } from "kysely";
import type { Database } from "./schema.js";
import type { Repositories } from "./types.js";

/** Most calls sharing one database transaction. */
const MAX_BATCH = 256;

interface Job {
  fn: (tx: Repositories) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

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
 * arrive together cost one commit (one WAL fsync on SQLite) instead of N. Each call runs inside a
 * SAVEPOINT: a call that throws rolls back only its own writes and rejects with its error; the
 * others are unaffected. Every call settles only after the shared transaction has committed, so a
 * resolved call is durable exactly as with its own transaction. Calls that arrive while a batch is
 * running wait for the next one (at most {@link MAX_BATCH} per transaction).
 *
 * @param transaction runs `fn` in one database transaction with the raw Kysely transaction (so
 *   savepoints can be issued) and its repositories; may run `fn` again after a retryable failure
 * @param options the batch's first statement, and whether statements may be sent together
 * @returns the function that queues a call: it resolves with `fn`'s result once committed, or
 *   rejects with `fn`'s error (nothing of it written) or with the commit's error (nothing written)
 */
export function createGroupCommit(
  transaction: <T>(
    fn: (trx: Transaction<Database> | Kysely<Database>, tx: Repositories) => Promise<T>,
  ) => Promise<T>,
  options: GroupCommitOptions = {},
): <T>(fn: (tx: Repositories) => Promise<T>) => Promise<T> {
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

  const runBatches = async () => {
    while (queue.length > 0) {
      // A transaction on better-sqlite3 runs start to commit in microtasks, without yielding to I/O:
      // wait for the requests already received to queue their calls first, or every batch is one.
      await new Promise((resolve) => setImmediate(resolve));
      const jobs = queue.splice(0, MAX_BATCH);
      let outcomes: Outcome[] = [];
      try {
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

  return <T>(fn: (tx: Repositories) => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      if (!running) {
        running = true;
        void runBatches();
      }
    });
}
