/** Which servers this server federates with (VOLLY_FEDERATION_ALLOW / VOLLY_FEDERATION_BLOCK). */
export interface FederationPolicy {
  /** True when this server may talk to `serverName` (both directions). */
  allows(serverName: string): boolean;
}

/**
 * Creates a {@link FederationPolicy}: a server named in `block` is always refused; when `allow` is
 * non-empty only the servers it names are allowed; otherwise every server is. Names are compared
 * exactly (lower-case `host[:port]`, as `parseFederationConfig` validates them): `a.example` and
 * `a.example:8443` are different servers.
 */
export function createFederationPolicy(options: { allow?: string[]; block?: string[] }): FederationPolicy {
  const allow = new Set(options.allow ?? []);
  const block = new Set(options.block ?? []);
  return {
    allows: (serverName) => !block.has(serverName) && (allow.size === 0 || allow.has(serverName)),
  };
}

/** A per-server request budget (see {@link createServerRateLimiter}). */
export interface ServerRateLimiter {
  /**
   * Takes one request from `serverName`'s budget.
   *
   * @returns `allowed`, and when refused, `retryAfterMs`: how long until a request is allowed (0 when allowed)
   */
  take(serverName: string): { allowed: boolean; retryAfterMs: number };
}

/** Remote servers a {@link createServerRateLimiter} keeps a bucket for at most. */
export const MAX_RATE_LIMITED_SERVERS = 10_000;

/**
 * Creates a token bucket per remote server, in memory: each holds up to `perMinute` tokens and
 * refills at `perMinute` per 60 s, so a server may burst a minute's worth and then sustain the rate.
 * At most {@link MAX_RATE_LIMITED_SERVERS} buckets are kept: when a new server comes and all are
 * taken, the least recently used bucket is dropped, which can only give that server a fresh budget
 * early (O(1) per call, whatever the number of servers).
 *
 * @param options.perMinute requests per minute and per server (≥ 1)
 * @param options.now clock, ms since the Unix epoch; default `Date.now`
 */
export function createServerRateLimiter(options: {
  perMinute: number;
  now?: () => number;
}): ServerRateLimiter {
  const capacity = Math.max(1, options.perMinute);
  const perMs = capacity / 60_000;
  const now = options.now ?? Date.now;
  const buckets = new Map<string, { tokens: number; at: number }>();

  const refill = (bucket: { tokens: number; at: number }, t: number) => {
    bucket.tokens = Math.min(capacity, bucket.tokens + Math.max(0, t - bucket.at) * perMs);
    bucket.at = t;
  };

  return {
    take(serverName) {
      const t = now();
      let bucket = buckets.get(serverName);
      if (bucket) {
        buckets.delete(serverName);
        refill(bucket, t);
      } else {
        // Map order is recency order (a used bucket is re-inserted): the first is the least recent.
        if (buckets.size >= MAX_RATE_LIMITED_SERVERS) buckets.delete(buckets.keys().next().value as string);
        bucket = { tokens: capacity, at: t };
      }
      buckets.set(serverName, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { allowed: true, retryAfterMs: 0 };
      }
      return { allowed: false, retryAfterMs: Math.ceil((1 - bucket.tokens) / perMs) };
    },
  };
}
