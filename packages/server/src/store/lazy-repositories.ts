import type { DeferredSends, Repositories, SharedRepositories } from "./types.js";

/**
 * Every repository of {@link Repositories}, as a record keyed by name so TypeScript refuses a
 * repository missing here (a missing one would simply be absent from a wrapped or lazily built
 * set: `communities` once was, and every community route of a real server failed with "Cannot read
 * properties of undefined").
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

/** The names of every repository of {@link Repositories}. */
export const REPOSITORY_NAMES = Object.keys(REPOSITORIES) as readonly (keyof Repositories)[];

/**
 * How to build each repository from a context `C` (a transaction's connection, a store to wrap…);
 * `self` is the set being built, for a repository that uses another one.
 */
export type RepositoryFactories<C> = {
  readonly [K in keyof Repositories]: (context: C, self: Repositories) => Repositories[K];
};

/** Where a set keeps its context and the repositories built so far (symbols: not listed as entries). */
const CONTEXT = Symbol("context");
const BUILT = Symbol("built");

interface LazySet<C> {
  readonly [CONTEXT]: C;
  readonly [BUILT]: Partial<Record<keyof Repositories, unknown>>;
  readonly deferred: DeferredSends | undefined;
}

/**
 * Returns a function that makes a set of repositories over a context, each built on first use and
 * then kept, with the batch's `deferred` sends when given. A transaction uses two or three of the
 * 21: building them all (and, in the instrumented store, wrapping each of their methods) for every
 * transaction was about a seventh of what the server allocated at 100 messages/s
 * (bench/optimizations.md). The getters are on one prototype per call of this function, so every
 * set it makes has the same shape. The repositories are not own properties of a set: copy them
 * with {@link allRepositories}, not `{ ...set }`.
 *
 * @param factories how each repository is built from the context
 */
export function lazyRepositories<C>(
  factories: RepositoryFactories<C>,
): (context: C, deferred?: DeferredSends) => SharedRepositories {
  const prototype = {};
  for (const name of REPOSITORY_NAMES) {
    Object.defineProperty(prototype, name, {
      enumerable: true,
      get(this: LazySet<C> & Repositories) {
        const built = this[BUILT];
        built[name] ??= factories[name](this[CONTEXT], this);
        return built[name];
      },
    });
  }
  return (context, deferred) => {
    const set = Object.create(prototype) as LazySet<C> & SharedRepositories;
    Object.assign(set, { [CONTEXT]: context, [BUILT]: {}, deferred });
    return set;
  };
}

/** Every repository of `set` as own properties of a plain object (building those not built yet). */
export function allRepositories(set: Repositories): Repositories {
  return Object.fromEntries(REPOSITORY_NAMES.map((name) => [name, set[name]])) as unknown as Repositories;
}
