import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** Distinct `server` label values the federation metrics use at most; later servers share "other". */
export const MAX_LABELED_SERVERS = 1000;

/** Buckets of `volly_federation_request_seconds` (s): 5 ms to 30 s (the client's default timeout). */
export const FEDERATION_REQUEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * Prometheus metrics of federation (server-to-server) traffic. Server names are the only labels,
 * bounded to {@link MAX_LABELED_SERVERS} values plus "other"; no ids, no content.
 */
export interface FederationMetrics {
  /**
   * A request this server sent to `server` ended: `ok` (a 2xx answer that matched its schema) or
   * `failed` (anything else), after `seconds` (`volly_federation_requests_total{direction="outgoing"}`,
   * `volly_federation_request_seconds`).
   */
  outgoing(server: string, outcome: "ok" | "failed", seconds: number): void;
  /**
   * A request from `server` was accepted (`ok`) or refused (`refused`: bad signature, stale,
   * replayed, blocked, rate limited) (`volly_federation_requests_total{direction="incoming"}`).
   * Pass a name the request proved (a verified signature, or a policy decision on it); for a request
   * refused before that, pass "unknown", so unproven names never take label values.
   */
  incoming(server: string, outcome: "ok" | "refused"): void;
  /**
   * How far behind the hub `server` this server's mirror of that server's groups is, in seconds
   * (`volly_federation_lag_seconds`): 0 when caught up. Servers past the label bound share the
   * `other` series, which then holds the last value set.
   */
  lag(server: string, seconds: number): void;
}

/**
 * Registers the federation metrics in `registry` (the server's own, see `metrics.ts`):
 * `volly_federation_requests_total{server,direction,outcome}` (counter),
 * `volly_federation_request_seconds{server}` (histogram of outgoing requests) and
 * `volly_federation_lag_seconds{server}` (gauge). The first {@link MAX_LABELED_SERVERS} servers seen
 * get their own label value; every later one is counted as `server="other"`, so a flood of server
 * names cannot grow the number of series without bound.
 *
 * @throws Error (prom-client's) when these metrics are already registered in `registry`
 */
export function createFederationMetrics(registry: Registry): FederationMetrics {
  const requests = new Counter({
    name: "volly_federation_requests_total",
    help: "Federation requests, by remote server, direction (outgoing, incoming) and outcome (ok, failed, refused).",
    labelNames: ["server", "direction", "outcome"],
    registers: [registry],
  });
  const seconds = new Histogram({
    name: "volly_federation_request_seconds",
    help: "Duration of federation requests this server sent, by remote server.",
    labelNames: ["server"],
    buckets: FEDERATION_REQUEST_BUCKETS,
    registers: [registry],
  });
  const lag = new Gauge({
    name: "volly_federation_lag_seconds",
    help: "How far behind the hub this server's mirror of that server's groups is (s).",
    labelNames: ["server"],
    registers: [registry],
  });
  const known = new Set<string>();
  const label = (server: string) => {
    if (known.has(server)) return server;
    if (known.size < MAX_LABELED_SERVERS) {
      known.add(server);
      return server;
    }
    return "other";
  };
  return {
    outgoing(server, outcome, duration) {
      const name = label(server);
      requests.labels(name, "outgoing", outcome).inc();
      seconds.labels(name).observe(Math.max(0, duration));
    },
    incoming(server, outcome) {
      requests.labels(label(server), "incoming", outcome).inc();
    },
    lag(server, value) {
      lag.labels(label(server)).set(Math.max(0, value));
    },
  };
}
