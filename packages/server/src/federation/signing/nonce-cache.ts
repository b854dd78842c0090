/**
 * The nonces of federation request signatures (RFC 9421 §2.3 `nonce`, §7.2.2 replay) a server has
 * accepted, each until the moment its request would be refused as stale anyway.
 */
export interface NonceCache {
  /**
   * True when `nonce` of `serverName` was recorded and has not expired; else records it until
   * `expiresAt` and returns false.
   *
   * @param expiresAt ms since the Unix epoch after which the request carrying it is stale
   */
  seen(serverName: string, nonce: string, expiresAt: number): boolean;
}

/** Default bound of {@link createNonceCache}: entries held at most. */
export const DEFAULT_NONCE_CACHE_ENTRIES = 100_000;

interface Entry {
  key: string;
  expiresAt: number;
}

/**
 * An in-memory {@link NonceCache} of at most `maxEntries` entries. Entries are dropped once their
 * `expiresAt` has passed. When it is full, the entries that expire soonest are evicted to make room:
 * their requests are the nearest to being refused as stale, so a flood of fresh signed requests
 * (each of which needs a valid signature by a known server) can at worst reopen a replay window for
 * requests that are about to go stale anyway. Memory and work per call are bounded (a binary
 * min-heap on `expiresAt`: O(log n) per recorded nonce).
 *
 * @param options.maxEntries default {@link DEFAULT_NONCE_CACHE_ENTRIES}
 * @param options.now clock (ms since the Unix epoch), default `Date.now`
 */
export function createNonceCache(options: { maxEntries?: number; now?: () => number } = {}): NonceCache {
  const maxEntries = Math.max(1, Math.floor(options.maxEntries ?? DEFAULT_NONCE_CACHE_ENTRIES));
  const now = options.now ?? Date.now;
  // Every live key is in `live` and in `heap` exactly once: a key leaves both only when popped.
  const live = new Map<string, number>();
  const heap: Entry[] = [];

  const less = (a: number, b: number) => heap[a]!.expiresAt < heap[b]!.expiresAt;
  const swap = (a: number, b: number) => {
    const t = heap[a]!;
    heap[a] = heap[b]!;
    heap[b] = t;
  };
  const push = (entry: Entry) => {
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(i, parent)) break;
      swap(i, parent);
      i = parent;
    }
  };
  const pop = (): Entry | undefined => {
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(l, m)) m = l;
        if (r < heap.length && less(r, m)) m = r;
        if (m === i) break;
        swap(i, m);
        i = m;
      }
    }
    if (top) live.delete(top.key);
    return top;
  };

  return {
    seen(serverName, nonce, expiresAt) {
      const t = now();
      while (heap.length > 0 && heap[0]!.expiresAt <= t) pop();
      const key = `${serverName} ${nonce}`;
      if (live.has(key)) return true;
      if (expiresAt <= t) return false;
      while (live.size >= maxEntries) pop();
      live.set(key, expiresAt);
      push({ key, expiresAt });
      return false;
    },
  };
}
