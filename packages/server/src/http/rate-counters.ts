import type { Redis } from "ioredis";

/** A counter's state after an addition. */
export interface RateCount {
  /** The key's total in its current window, this addition included. */
  current: number;
  /** Time until the key's window ends (ms). */
  ttlMs: number;
}

/**
 * Fixed-window counters keyed by client (`account:<id>`, `account-bytes:<id>`, `ip:<address>`),
 * shared by the REST rate limit and the gateway's SEND budget so both draw on one budget per
 * account. A key's window starts with its first addition and lasts `windowMs`.
 */
export interface RateCounters {
  /**
   * Adds `by` to `key`'s count (starting a window of `windowMs` when none is running).
   * @throws the backend's error (Redis unreachable, or slower than its command timeout)
   */
  add(key: string, by: number, windowMs: number): Promise<RateCount>;
  /**
   * Synchronous access, when the counts are in this process (memory counters): `peek` reads a key
   * without counting (`current` 0 when no window runs), `addNow` adds like {@link add}.
   */
  readonly local?: {
    peek(key: string): RateCount;
    addNow(key: string, by: number, windowMs: number): RateCount;
  };
}

/**
 * Counters in this process's memory (one node: the embedded shape). At most `maxKeys` keys are kept;
 * the least recently counted is forgotten first.
 */
export function createMemoryRateCounters(maxKeys: number, now: () => number = Date.now): RateCounters {
  const counts = new Map<string, { current: number; resetAt: number }>();
  const addNow = (key: string, by: number, windowMs: number): RateCount => {
    const at = now();
    let entry = counts.get(key);
    if (!entry || entry.resetAt <= at) entry = { current: 0, resetAt: at + windowMs };
    entry.current += by;
    counts.delete(key); // re-inserted last: Map order is recency
    counts.set(key, entry);
    if (counts.size > maxKeys) {
      const oldest = counts.keys().next().value;
      if (oldest !== undefined) counts.delete(oldest);
    }
    return { current: entry.current, ttlMs: entry.resetAt - at };
  };
  return {
    add: async (key, by, windowMs) => addNow(key, by, windowMs),
    local: {
      addNow,
      peek(key) {
        const at = now();
        const entry = counts.get(key);
        return !entry || entry.resetAt <= at
          ? { current: 0, ttlMs: 0 }
          : { current: entry.current, ttlMs: entry.resetAt - at };
      },
    },
  };
}

/** INCRBY and, for a key without an expiry (new), PEXPIRE to the window; returns {count, pttl}. */
const ADD_SCRIPT = `
local current = redis.call('INCRBY', KEYS[1], ARGV[2])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {current, ttl}
`;

type RedisWithAdd = Redis & {
  vollyRateAdd(key: string, windowMs: number, by: number): Promise<[number, number]>;
};

/**
 * Counters in Redis (the scaled shape), shared by every node using it: one atomic script per
 * addition (INCRBY, then PEXPIRE when the key is new), keys `prefix + key` expiring with their
 * window.
 *
 * @param redis an ioredis client (the caller owns it)
 * @param prefix key prefix, e.g. "volly:rate-limit:"
 */
export function createRedisRateCounters(redis: Redis, prefix: string): RateCounters {
  const client = redis as RedisWithAdd;
  if (typeof client.vollyRateAdd !== "function") {
    redis.defineCommand("vollyRateAdd", { numberOfKeys: 1, lua: ADD_SCRIPT });
  }
  return {
    async add(key, by, windowMs) {
      const [current, ttlMs] = await client.vollyRateAdd(prefix + key, windowMs, by);
      return { current: Number(current), ttlMs: Number(ttlMs) };
    },
  };
}
