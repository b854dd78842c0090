import type { Compilable, CompiledQuery, Kysely, QueryResult } from "kysely";
import type { Database } from "../schema.js";

/**
 * Builds a query from placeholder values, one per parameter: `values[i]` stands for the i-th value
 * the caller passes. The query's shape (its SQL text) must not depend on the values.
 */
export type QueryTemplate<R> = (db: Kysely<Database>, values: readonly string[]) => Compilable<R>;

/**
 * Queries of the hot path compiled once and run again with new values. Kysely builds an
 * operation-node tree and compiles it to SQL on every call; on SQLite that costs more than running
 * the small indexed queries the delivery path issues (the statements themselves are prepared once,
 * see sqlite-store.ts). One instance per store: the SQL depends on the dialect.
 */
export interface PreparedQueries {
  /**
   * Runs the query `template` builds, with `values` in place of its placeholders: compiled on the
   * first call for that template, reused afterwards. Inside a transaction pass the transaction.
   *
   * @throws whatever the database throws for the query
   */
  execute<R>(
    db: Kysely<Database>,
    template: QueryTemplate<R>,
    values: readonly unknown[],
  ): Promise<QueryResult<R>>;
}

/** A placeholder that cannot collide with a real value (ids, handles and payloads are printable). */
const placeholder = (i: number) => `\u0000volly-placeholder-${i}\u0000`;

interface Compiled {
  query: CompiledQuery;
  /** For each compiled parameter: the index of the caller's value, or -1 for a constant of the query. */
  slots: number[];
}

/** Creates the {@link PreparedQueries} of one store. */
export function createPreparedQueries(): PreparedQueries {
  const compiled = new Map<QueryTemplate<unknown>, Compiled>();
  const placeholders: string[] = [];
  const indexOf = new Map<unknown, number>();
  const placeholdersFor = (n: number) => {
    while (placeholders.length < n) {
      const p = placeholder(placeholders.length);
      indexOf.set(p, placeholders.length);
      placeholders.push(p);
    }
    return placeholders.slice(0, n);
  };
  return {
    execute<R>(db: Kysely<Database>, template: QueryTemplate<R>, values: readonly unknown[]) {
      let entry = compiled.get(template as QueryTemplate<unknown>);
      if (!entry) {
        const query = template(db, placeholdersFor(values.length)).compile();
        entry = { query, slots: query.parameters.map((p) => indexOf.get(p) ?? -1) };
        compiled.set(template as QueryTemplate<unknown>, entry);
      }
      const { query, slots } = entry;
      const parameters = slots.map((slot, i) => (slot >= 0 ? values[slot] : query.parameters[i]));
      return db.executeQuery<R>({ ...query, parameters } as CompiledQuery<R>);
    },
  };
}
