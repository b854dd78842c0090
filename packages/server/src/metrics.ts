import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import { registerFastHistogram } from "./fast-histogram.js";
import type { LogKind } from "./store/types.js";

/** Every reason the bus counts an error (label `kind` of `volly_bus_errors_total`). */
export const BUS_ERROR_KINDS = ["connection", "publish", "subscribe", "invalid-message", "handler"] as const;
/** Why the bus counted an error (label `kind` of `volly_bus_errors_total`). */
export type BusErrorKind = (typeof BUS_ERROR_KINDS)[number];

/**
 * What the delivery service concluded about a commit it checked (label `outcome` of
 * `volly_commit_checks_total`): "verified" (accepted for the transaction), "unverified" (the group's
 * current epoch has no stored GroupInfo and ratchet tree — a group created before commits were
 * verified — so the commit could not be checked and was let through), "rejected" (the commit or its
 * GroupInfo failed a check).
 */
export const COMMIT_CHECK_OUTCOMES = ["verified", "unverified", "rejected"] as const;
/** One of {@link COMMIT_CHECK_OUTCOMES}. */
export type CommitCheckOutcome = (typeof COMMIT_CHECK_OUTCOMES)[number];

/**
 * The server's Prometheus metrics, in a registry of their own (never prom-client's global one, so
 * tests can build several apps in one process). Counts and timings only: no ids, no content.
 */
export interface Metrics {
  /** The registry every metric below is registered in. */
  readonly registry: Registry;
  /** A gateway WebSocket connection opened (`volly_gateway_connections` +1). */
  connectionOpened(): void;
  /** A gateway WebSocket connection closed (`volly_gateway_connections` −1). */
  connectionClosed(): void;
  /** A log entry of this kind was durably appended (`volly_messages_in_total{kind}`). */
  messageIn(kind: LogKind): void;
  /** The delivery service checked a commit (`volly_commit_checks_total{outcome}`). */
  commitChecked(outcome: CommitCheckOutcome): void;
  /** A DISPATCH frame was sent (`volly_messages_out_total{event}`). */
  dispatched(event: string): void;
  /**
   * A log entry reached a live connection: `seconds` from its store commit to its dispatch
   * (`volly_delivery_latency_seconds`). Backlog dispatches after a reconnect are not observed.
   */
  deliveryLatency(seconds: number): void;
  /** The database failed a query or transaction (`volly_store_errors_total`). */
  storeError(): void;
  /**
   * The store sent one SQL statement to the database (`volly_store_statements_total`): every query,
   * savepoint, BEGIN and COMMIT.
   */
  storeStatement(): void;
  /** The bus failed (`volly_bus_errors_total{kind}`). */
  busError(kind: BusErrorKind): void;
  /** The exposition text (Prometheus text format 0.0.4). */
  render(): Promise<string>;
  /** The Content-Type of {@link render}'s text: `text/plain; version=0.0.4; charset=utf-8`. */
  readonly contentType: string;
}

/** Buckets of `volly_delivery_latency_seconds` (s): 1 ms to 10 s. */
export const DELIVERY_LATENCY_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/**
 * Creates the {@link Metrics} of one server. Every counter is exported from the start, at 0 for each
 * label value it can take (`volly_messages_in_total{kind}`, `volly_bus_errors_total{kind}`), so
 * `rate()` and alerts see the first increment; `volly_messages_out_total{event}` gets its series on
 * first use.
 *
 * @param options.processMetrics also collect prom-client's default process metrics (CPU, memory,
 *   event loop lag, GC — `process_*` and `nodejs_*`). They install process-wide observers, so enable
 *   them once per process (the running server does; apps built by tests do not). Default false.
 */
export function createMetrics(options: { processMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  const connections = new Gauge({
    name: "volly_gateway_connections",
    help: "Open gateway WebSocket connections on this node.",
    registers: [registry],
  });
  const messagesIn = new Counter({
    name: "volly_messages_in_total",
    help: "Group log entries durably appended by this node, by kind (application, commit, departure).",
    labelNames: ["kind"],
    registers: [registry],
  });
  const commitChecks = new Counter({
    name: "volly_commit_checks_total",
    help: "Commits the delivery service checked, by outcome (verified, unverified: no stored state to check against, rejected).",
    labelNames: ["outcome"],
    registers: [registry],
  });
  // Counted once per delivery: plain numbers on the hot path, handed to prom-client when scraped.
  const dispatchedSince = new Map<string, number>();
  // Registered in `registry` and filled by its own collect(): nothing else needs a handle on it.
  new Counter({
    name: "volly_messages_out_total",
    help: "DISPATCH frames sent by this node's gateway, by event.",
    labelNames: ["event"],
    registers: [registry],
    collect() {
      for (const [event, n] of dispatchedSince) if (n > 0) this.labels(event).inc(n);
      dispatchedSince.clear();
    },
  });
  const latency = registerFastHistogram(registry, {
    name: "volly_delivery_latency_seconds",
    help: "Time from a log entry's store commit to its dispatch on a live gateway connection.",
    buckets: DELIVERY_LATENCY_BUCKETS,
  });
  // Counted once per statement: a plain number on the hot path, handed to prom-client when scraped.
  let statementsSince = 0;
  // Registered in `registry` and filled by its own collect(): nothing else needs a handle on it.
  new Counter({
    name: "volly_store_statements_total",
    help: "SQL statements this node sent to its database (queries, savepoints, BEGIN and COMMIT).",
    registers: [registry],
    collect() {
      this.inc(statementsSince);
      statementsSince = 0;
    },
  });
  const storeErrors = new Counter({
    name: "volly_store_errors_total",
    help: "Failed database queries and transactions.",
    registers: [registry],
  });
  const busErrors = new Counter({
    name: "volly_bus_errors_total",
    help: "Bus failures, by kind (connection, publish, subscribe, invalid-message, handler).",
    labelNames: ["kind"],
    registers: [registry],
  });
  for (const kind of ["application", "commit", "departure"]) messagesIn.labels(kind).inc(0);
  for (const outcome of COMMIT_CHECK_OUTCOMES) commitChecks.labels(outcome).inc(0);
  storeErrors.inc(0);
  for (const kind of BUS_ERROR_KINDS) busErrors.labels(kind).inc(0);
  return {
    registry,
    connectionOpened: () => connections.inc(),
    connectionClosed: () => connections.dec(),
    messageIn: (kind) => messagesIn.labels(kind).inc(),
    commitChecked: (outcome) => commitChecks.labels(outcome).inc(),
    dispatched: (event) => {
      dispatchedSince.set(event, (dispatchedSince.get(event) ?? 0) + 1);
    },
    deliveryLatency: (seconds) => latency.observe(seconds),
    storeError: () => storeErrors.inc(),
    storeStatement: () => {
      statementsSince++;
    },
    busError: (kind) => busErrors.labels(kind).inc(),
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}
