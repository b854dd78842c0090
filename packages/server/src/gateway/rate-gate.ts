/** Admits at most one event per key per interval; callers drop what it refuses. */
export interface RateGate {
  /** True (and the key's interval restarts) when the key's last admitted event is at least one interval old. */
  allow(key: string): boolean;
}

/**
 * Creates a {@link RateGate}. Memory is bounded: at most `maxKeys` keys are remembered; stale ones are
 * pruned when that bound is reached, and while `maxKeys` distinct keys were admitted within one
 * interval every new key is refused.
 *
 * @param intervalMs minimum time between two admitted events of one key (ms)
 * @param now clock (ms)
 * @param maxKeys keys remembered at most
 */
export function createRateGate(intervalMs: number, now: () => number = Date.now, maxKeys = 256): RateGate {
  /** Created on first use: most connections never type (an idle connection holds no table). */
  let last: Map<string, number> | undefined;
  return {
    allow(key) {
      last ??= new Map();
      const at = now();
      const previous = last.get(key);
      if (previous !== undefined && at - previous < intervalMs) return false;
      if (previous === undefined && last.size >= maxKeys) {
        for (const [k, t] of last) if (at - t >= intervalMs) last.delete(k);
        if (last.size >= maxKeys) return false;
      }
      last.set(key, at);
      return true;
    },
  };
}
