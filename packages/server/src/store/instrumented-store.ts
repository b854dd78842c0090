import { VollyError } from "@volly/protocol";
import { isUniqueViolation } from "./driver-errors.js";
import {
  allRepositories,
  lazyRepositories,
  REPOSITORY_NAMES,
  type RepositoryFactories,
} from "./lazy-repositories.js";
import { StoreConflict } from "./store-conflict.js";
import type { Repositories, SharedRepositories, Store } from "./types.js";

type Method = (...args: unknown[]) => Promise<unknown>;

/** `repo` with each method's rejection passed to `report` before it propagates. */
function reporting<R>(repo: R, report: (error: unknown) => void): R {
  const source = repo as unknown as Record<string, Method>;
  const wrapped: Record<string, Method> = {};
  for (const [method, fn] of Object.entries(source)) {
    wrapped[method] = (...args) =>
      fn.apply(source, args).catch((error: unknown) => {
        report(error);
        throw error;
      });
  }
  return wrapped as R;
}

interface Wrapping {
  target: Repositories;
  report: (error: unknown) => void;
}

/** A set's repositories, each wrapped by {@link reporting} on first use. */
const reportingRepositories = lazyRepositories<Wrapping>(
  Object.fromEntries(
    REPOSITORY_NAMES.map((name) => [name, ({ target, report }: Wrapping) => reporting(target[name], report)]),
  ) as unknown as RepositoryFactories<Wrapping>,
);

/**
 * Wraps a {@link Store} so every failure of the database itself is reported to `onError` once: a
 * rejected repository call or transaction, except typed Volly errors (thrown by services inside a
 * transaction on purpose) and unique violations ({@link StoreConflict}, which the services expect and
 * handle, and any a repository left untranslated). Behaviour is otherwise unchanged: the error
 * still propagates.
 *
 * @param onError called with the driver's error (e.g. to count `volly_store_errors_total`)
 */
export function instrumentStore(store: Store, onError: (error: unknown) => void): Store {
  const reported = new WeakSet<object>();
  const report = (error: unknown) => {
    if (error instanceof VollyError || error instanceof StoreConflict || isUniqueViolation(error)) return;
    if (typeof error === "object" && error !== null) {
      if (reported.has(error)) return;
      reported.add(error);
    }
    onError(error);
  };
  /**
   * Wrapped repositories per transaction: every call of a shared transaction gets the same. The
   * calls' deferred sends run at the batch's end, by the group commit, outside these wrappers: when
   * they fail the batch runs again without them, and its calls' failures are reported by
   * `transactionShared` below.
   */
  const wrappedOf = new WeakMap<Repositories, SharedRepositories>();
  const wrap = (repos: SharedRepositories): SharedRepositories => {
    let wrapped = wrappedOf.get(repos);
    if (!wrapped) {
      wrapped = reportingRepositories({ target: repos, report }, repos.deferred);
      wrappedOf.set(repos, wrapped);
    }
    return wrapped;
  };
  return {
    ...allRepositories(wrap(store)),
    async transaction(fn) {
      try {
        return await store.transaction((tx) => fn(wrap(tx)));
      } catch (error) {
        report(error);
        throw error;
      }
    },
    async transactionShared(fn) {
      try {
        return await store.transactionShared((tx) => fn(wrap(tx)));
      } catch (error) {
        report(error);
        throw error;
      }
    },
    async ping() {
      try {
        await store.ping();
      } catch (error) {
        report(error);
        throw error;
      }
    },
    close: () => store.close(),
  };
}
