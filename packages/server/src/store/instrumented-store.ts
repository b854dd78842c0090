import { VollyError } from "@volly/protocol";
import { isUniqueViolation } from "./driver-errors.js";
import { StoreConflict } from "./store-conflict.js";
import type { Repositories, Store } from "./types.js";

/**
 * Every repository of {@link Repositories}, as a record keyed by name so TypeScript refuses a
 * repository missing here (a missing one is simply absent from the wrapped store: `communities`
 * was, and every community route of a real server failed with "Cannot read properties of undefined").
 */
const REPOSITORIES: { readonly [K in keyof Repositories]: true } = {
  accounts: true,
  devices: true,
  auth: true,
  keyPackages: true,
  groups: true,
  log: true,
  welcomes: true,
  cursors: true,
  deviceLinks: true,
  groupState: true,
  retention: true,
  storage: true,
  rateLimits: true,
  communities: true,
  accountStatuses: true,
  accountRecovery: true,
  scheduled: true,
  blobs: true,
  apiKeys: true,
  federation: true,
  remoteCommunities: true,
};
const REPOSITORY_NAMES = Object.keys(REPOSITORIES) as (keyof Repositories)[];

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
  /** Wrapped repositories per transaction: every call of a shared transaction gets the same. */
  const wrappedOf = new WeakMap<Repositories, Repositories>();
  const wrap = (repos: Repositories): Repositories => {
    const cached = wrappedOf.get(repos);
    if (cached) return cached;
    const out = {} as Record<keyof Repositories, unknown>;
    for (const name of REPOSITORY_NAMES) {
      const repo = repos[name] as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
      const wrapped: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
      for (const [method, fn] of Object.entries(repo)) {
        wrapped[method] = (...args) =>
          fn.apply(repo, args).catch((error: unknown) => {
            report(error);
            throw error;
          });
      }
      out[name] = wrapped;
    }
    wrappedOf.set(repos, out as Repositories);
    return out as Repositories;
  };
  return {
    ...wrap(store),
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
        // the calls' deferred sends run at the batch's end, by the group commit, outside these wrappers:
        // when they fail the batch runs again without them, and its calls' failures are reported here
        return await store.transactionShared((tx) =>
          fn(tx.deferred ? { ...wrap(tx), deferred: tx.deferred } : wrap(tx)),
        );
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
