import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import pg from "pg";
import { canConnect, type ServiceGate, serviceGate } from "./service-gate.js";

/**
 * URL of a PostgreSQL database the tests may CREATE DATABASE from (VOLLY_TEST_DATABASE_URL, default
 * the local server's `postgres` database as user postgres).
 */
export const PG_ADMIN_URL =
  process.env.VOLLY_TEST_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres";

const admin = new URL(PG_ADMIN_URL);

/** Whether PostgreSQL tests run (see {@link ServiceGate}). */
export const POSTGRES: ServiceGate = serviceGate(
  await canConnect(admin.hostname, Number(admin.port || 5432)),
  `PostgreSQL tests need a server: start PostgreSQL on ${admin.hostname}:${admin.port || 5432} or set VOLLY_TEST_DATABASE_URL`,
);

/** A database created for one test file or run. */
export interface TestDatabase {
  name: string;
  /** Its connection URL. */
  url: string;
  /** Drops it (terminating connections still open). Idempotent. */
  drop(): Promise<void>;
}

const PG_MODULE = pathToFileURL(createRequire(import.meta.url).resolve("pg")).href;
const live = new Set<string>();
let exitHook = false;

/** Drops every database still registered, synchronously, when the test process exits abnormally. */
function dropOnExit(): void {
  if (exitHook) return;
  exitHook = true;
  process.once("exit", () => {
    for (const name of live) {
      spawnSync(
        process.execPath,
        [
          "--input-type=module",
          "-e",
          `import pg from ${JSON.stringify(PG_MODULE)};
           const c = new pg.Client(${JSON.stringify(PG_ADMIN_URL)}); await c.connect();
           await c.query('DROP DATABASE IF EXISTS "${name}" WITH (FORCE)'); await c.end();`,
        ],
        { stdio: "ignore", timeout: 10_000 },
      );
    }
  });
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Creates an empty database `volly_test_<random>` (UTF-8, C collation — the recommended setting,
 * see docs/deployment.md — from template0). It is dropped by `drop()`, or at the latest when the
 * process exits.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `volly_test_${randomBytes(6).toString("hex")}`;
  await adminQuery(
    `CREATE DATABASE "${name}" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`,
  );
  live.add(name);
  dropOnExit();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      if (!live.delete(name)) return;
      await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

/** Runs one SQL statement on `url` over a short-lived connection; returns the rows. */
export async function queryOnce<T = Record<string, unknown>>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}
