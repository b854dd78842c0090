import { type Kysely, sql } from "kysely";
import type { Database } from "../schema.js";
import type { RateLimitRepository } from "../types.js";
import { num } from "./rows.js";

/**
 * {@link RateLimitRepository} over Kysely (table `rate_limits`, migration 0007): the generic cell rate
 * algorithm (GCRA). Each unit costs `windowMs / limit` ms of "theoretical arrival time" (tat); a take
 * of `cost` units is allowed when max(tat, now) + cost·interval − now ≤ windowMs, and then moves tat
 * there. One `INSERT … ON CONFLICT DO UPDATE … WHERE … RETURNING` does check and update atomically
 * (a row lock on PostgreSQL), so nodes sharing the database share the limit.
 */
export function kyselyRateLimitRepository(db: Kysely<Database>): RateLimitRepository {
  return {
    async take(key, cost, limit, windowMs, now) {
      const increment = Math.ceil((cost * windowMs) / limit);
      if (increment > windowMs) return { allowed: false, retryAfterMs: windowMs };
      const start = sql<number>`case when rate_limits.tat > ${sql.val(now)} then rate_limits.tat else cast(${sql.val(now)} as bigint) end`;
      const taken = await db
        .insertInto("rate_limits")
        .values({ key, tat: now + increment })
        .onConflict((oc) =>
          oc
            .column("key")
            .doUpdateSet({ tat: sql<number>`${start} + cast(${sql.val(increment)} as bigint)` })
            .where(
              sql<boolean>`${start} + cast(${sql.val(increment - windowMs)} as bigint) <= cast(${sql.val(now)} as bigint)`,
            ),
        )
        .returning("tat")
        .executeTakeFirst();
      if (taken) return { allowed: true };
      const row = await db.selectFrom("rate_limits").select("tat").where("key", "=", key).executeTakeFirst();
      const tat = row ? Math.max(num(row.tat), now) : now;
      return { allowed: false, retryAfterMs: Math.max(1, tat + increment - windowMs - now) };
    },
    async purge(now) {
      const result = await db.deleteFrom("rate_limits").where("tat", "<=", now).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
