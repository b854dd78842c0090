import { VollyError } from "@volly/protocol";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removableTempDir } from "../../../test/helpers/temp-dir.js";
import { DEFAULT_CONFIG } from "../src/config.js";
import { BUS_ERROR_KINDS } from "../src/metrics.js";
import { type RunningServer, startServer } from "../src/start-server.js";
import { instrumentStore } from "../src/store/instrumented-store.js";
import { openSqliteStore } from "../src/store/sqlite-store.js";
import { newKeys, registrationBody, uniqueHandle } from "./helpers/identity.js";
import { useLiveServer } from "./helpers/live-server.js";
import { sample } from "./helpers/metrics.js";
import { createTestDatabase, POSTGRES, queryOnce, type TestDatabase } from "./helpers/postgres.js";

describe("operator endpoints: GET /metrics (Prometheus) and GET /readyz", () => {
  const s = useLiveServer();

  const metrics = async () => {
    const res = await s.f.metricsApp.inject({ method: "GET", url: "/metrics" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("text/plain; version=0.0.4; charset=utf-8");
    return res.body;
  };

  it("counts connections, messages in and out and delivery latency, and carries no ids or content", async () => {
    const before = await metrics();
    for (const name of [
      "volly_gateway_connections",
      'volly_messages_in_total{kind="application"}',
      "volly_store_errors_total",
      "volly_delivery_latency_seconds_count",
    ]) {
      expect(before).toContain(name);
    }
    // Labelled error counters exist at 0 before the first error, so rate() and alerts see it.
    for (const kind of BUS_ERROR_KINDS) {
      expect(before).toContain(`volly_bus_errors_total{kind="${kind}"} 0\n`);
    }
    expect(before).toContain("# TYPE volly_delivery_latency_seconds histogram");
    const alice = await s.register();
    const bob = await s.register();
    const groupId = await s.createGroup(alice, [bob]);
    const { client } = await s.synced(bob);
    expect(sample(await metrics(), "volly_gateway_connections")).toBe(1);
    const sent = await s.send(alice, groupId);
    await client.nextDispatch("GROUP_MESSAGE");
    const after = await metrics();
    expect(sample(after, 'volly_messages_in_total{kind="application"}')).toBe(1);
    expect(sample(after, 'volly_messages_in_total{kind="commit"}')).toBe(1);
    expect(sample(after, 'volly_messages_out_total{event="GROUP_MESSAGE"}')).toBe(1);
    expect(sample(after, 'volly_messages_out_total{event="READY"}')).toBe(1);
    expect(sample(after, "volly_delivery_latency_seconds_count")).toBe(1);
    for (const secret of [sent.ciphertext, groupId, alice.deviceId, alice.handle])
      expect(after).not.toContain(secret);
    await client.close();
    await expect
      .poll(async () => sample(await metrics(), "volly_gateway_connections"), { timeout: 20_000 })
      .toBe(0);
  });

  it("answers /readyz 200 while the store answers (the bus is reported), 503 once it does not", async () => {
    const ready = await s.f.app.inject({ method: "GET", url: "/readyz" });
    expect([ready.statusCode, ready.json()]).toEqual([200, { status: "ok", store: "ok", bus: "ok" }]);
    expect((await s.f.app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
    await s.f.store.close();
    const down = await s.f.app.inject({ method: "GET", url: "/readyz" });
    expect([down.statusCode, down.json()]).toEqual([
      503,
      { status: "unavailable", store: "down", bus: "ok" },
    ]);
  });
});

describe("store instrumentation (volly_store_errors_total)", () => {
  it("keeps every repository of the store it wraps (a missing one broke every community route)", async () => {
    const { dir, remove } = removableTempDir();
    const inner = await openSqliteStore(`${dir}/volly.db`);
    const store = instrumentStore(inner, () => {});
    try {
      const names = Object.entries(inner)
        .filter(([, v]) => typeof v === "object" && v !== null)
        .map(([k]) => k);
      expect(names).toContain("communities");
      // a transaction's repositories are built on first use, so they are read by name, not listed
      const present = (s: object) =>
        names.filter((k) => typeof (s as Record<string, unknown>)[k] === "object");
      expect(present(store)).toEqual(names);
      await store.transaction(async (tx) => {
        expect(present(tx)).toEqual(names);
        expect(await tx.communities.find("no-such-community")).toBeUndefined();
      });
    } finally {
      await store.close();
      remove();
    }
  });

  it("reports database failures once each, but not typed Volly errors or unique violations", async () => {
    const { dir, remove } = removableTempDir();
    const errors: unknown[] = [];
    const store = instrumentStore(await openSqliteStore(`${dir}/volly.db`), (e) => errors.push(e));
    try {
      const account = { id: "a".repeat(22), handle: "alice", entityType: "human", createdAt: 1 };
      await store.accounts.insert(account);
      await expect(store.accounts.insert(account)).rejects.toThrow(); // unique violation: expected
      await expect(
        store.transaction(async () => {
          throw new VollyError("VOLLY_E_STALE_EPOCH");
        }),
      ).rejects.toThrow();
      expect(errors).toEqual([]);
      const orphan = {
        id: "d".repeat(22),
        accountId: "missing",
        signaturePublicKey: "k",
        name: "x",
        createdAt: 1,
      };
      await expect(store.transaction((tx) => tx.devices.insert(orphan))).rejects.toThrow(/FOREIGN KEY/);
      expect(errors).toHaveLength(1); // counted in the repository call, not again by the transaction
      await store.ping();
    } finally {
      await store.close();
      remove();
    }
  });
});

describe("the metrics listener (VOLLY_METRICS_HOST, VOLLY_METRICS_PORT)", () => {
  it("serves /metrics on its own address only, never on the public port; without a metrics port it is not served", async () => {
    const { dir, remove } = removableTempDir();
    const base = { ...DEFAULT_CONFIG, port: 0, dataDir: dir, logLevel: "silent" as const };
    const withMetrics = await startServer({ ...base, metricsPort: 0, metricsHost: "127.0.0.1" });
    const without = await startServer({ ...base, dataDir: `${dir}/other` });
    try {
      expect(withMetrics.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(withMetrics.metricsUrl).not.toBe(withMetrics.url);
      const scraped = await fetch(`${withMetrics.metricsUrl}/metrics`);
      expect(scraped.status).toBe(200);
      expect(scraped.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
      const text = await scraped.text();
      expect(text).toContain("volly_gateway_connections");
      expect(text).toContain("process_cpu_seconds_total");
      // SQLite: the migrations at start ran statements, and the readiness check runs one more
      const started = sample(text, "volly_store_statements_total");
      expect(started).toBeGreaterThan(0);
      expect((await fetch(`${withMetrics.url}/readyz`)).status).toBe(200);
      const scrapedAgain = await (await fetch(`${withMetrics.metricsUrl}/metrics`)).text();
      expect(sample(scrapedAgain, "volly_store_statements_total")).toBeGreaterThan(started);
      for (const server of [withMetrics, without]) {
        const publicAnswer = await fetch(`${server.url}/metrics`);
        expect(publicAnswer.status).toBe(404);
        expect(await publicAnswer.json()).toMatchObject({ code: "VOLLY_E_NOT_FOUND" });
        expect(publicAnswer.headers.get("x-content-type-options")).toBe("nosniff");
      }
      expect(without.metricsUrl).toBeUndefined();
      const elsewhere = await fetch(`${withMetrics.metricsUrl}/v1/accounts/alice`);
      expect(elsewhere.status).toBe(404);
      expect(await elsewhere.json()).toMatchObject({ code: "VOLLY_E_NOT_FOUND" });
    } finally {
      await withMetrics.close();
      await without.close();
      remove();
    }
  });
});

describe.skipIf(!POSTGRES.run)("volly_store_errors_total of a running server (PostgreSQL)", () => {
  let database: TestDatabase;
  let server: RunningServer | undefined;
  const { dir, remove } = removableTempDir();
  beforeAll(async () => {
    POSTGRES.assert();
    database = await createTestDatabase();
    // New sessions of this database give up waiting for a lock after 200 ms (the server's pool sets
    // statement_timeout, not lock_timeout, so the database default applies).
    await queryOnce(database.url, `ALTER DATABASE "${database.name}" SET lock_timeout = '200ms'`);
    server = await startServer({
      ...DEFAULT_CONFIG,
      port: 0,
      dataDir: dir,
      databaseUrl: database.url,
      logLevel: "silent",
      metricsPort: 0,
    });
  });
  afterAll(async () => {
    await server?.close();
    await database?.drop();
    remove();
  });

  const storeErrors = async () => {
    const res = await fetch(`${server!.metricsUrl}/metrics`);
    return sample(await res.text(), "volly_store_errors_total");
  };
  const register = () =>
    fetch(`${server!.url}/v1/accounts`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(registrationBody(uniqueHandle(), newKeys())),
    });

  it("counts the statements the store sends (volly_store_statements_total): a registration's transaction is several", async () => {
    const statements = async () =>
      sample(await (await fetch(`${server!.metricsUrl}/metrics`)).text(), "volly_store_statements_total");
    const before = await statements();
    expect((await register()).status).toBe(200);
    // at least BEGIN, an INSERT and COMMIT
    expect(await statements()).toBeGreaterThanOrEqual(before + 3);
  });

  it("counts a query the database fails (lock timeout) behind a route's 500, and nothing for the requests that work", async () => {
    expect((await register()).status).toBe(200);
    expect(await storeErrors()).toBe(0);

    // Another session holds an exclusive lock on accounts: the registration's INSERT waits 200 ms
    // and PostgreSQL cancels it (55P03 lock_not_available).
    const locker = new pg.Client({ connectionString: database.url });
    await locker.connect();
    try {
      await locker.query("BEGIN");
      await locker.query("LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE");
      const failed = await register();
      expect(failed.status).toBe(500);
      expect(await failed.json()).toEqual({ code: "VOLLY_E_INTERNAL", message: "Internal server error." });
      expect(await storeErrors()).toBe(1);
      await locker.query("ROLLBACK");
    } finally {
      await locker.end();
    }

    expect((await register()).status).toBe(200);
    expect((await fetch(`${server!.url}/readyz`)).status).toBe(200);
    expect(await storeErrors()).toBe(1);
  });
});
