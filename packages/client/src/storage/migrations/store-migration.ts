import type { Stores } from "../stores.js";

/**
 * One versioned change of the local store's record formats. Migrations run on unlock, in version
 * order, each once per profile: `Stores.schemaVersion` records the last one applied. `run` must be
 * idempotent (a crash before the version is written runs it again) and must not depend on the
 * network or on the client's services.
 */
export interface StoreMigration {
  /** The schema version the store has once this migration ran (1, 2, …, consecutive). */
  version: number;
  /** A short kebab-case name, e.g. "message-body". */
  name: string;
  /** Rewrites the records of older formats. */
  run(stores: Stores): Promise<void>;
}
