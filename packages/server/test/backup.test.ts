import { execFile, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { removableTempDir } from "../../../test/helpers/temp-dir.js";
import { backupEmbeddedStore, PG_DUMP_HINT } from "../src/backup.js";
import { DEFAULT_CONFIG, type ServerConfig } from "../src/config.js";
import { type RunningServer, startServer } from "../src/start-server.js";
import type { HttpDevice } from "./helpers/app.js";
import { registerOverFetch } from "./helpers/fetch-device.js";
import { connectIdentified } from "./helpers/gateway-client.js";
import { type LiveServer, liveServer } from "./helpers/live-server.js";
import { newGroupBodies } from "./helpers/mls-groups.js";
import { createTestDatabase, POSTGRES, type TestDatabase } from "./helpers/postgres.js";
import { serviceGate } from "./helpers/service-gate.js";
import { fakeCiphertext } from "./helpers/services.js";

const run = promisify(execFile);
const PG_TOOLS = serviceGate(
  spawnSync("pg_dump", ["--version"], { stdio: "ignore" }).status === 0 &&
    spawnSync("pg_restore", ["--version"], { stdio: "ignore" }).status === 0,
  "the PostgreSQL backup test needs pg_dump and pg_restore (Debian: apt-get install postgresql-client)",
);

/** Connects `device` to a server's gateway and returns the ciphertexts of its backlog, in order. */
async function backlogOf(url: string, device: HttpDevice): Promise<string[]> {
  const { client } = await connectIdentified(`${url.replace("http", "ws")}/v1/gateway`, device);
  try {
    const { events } = await client.untilSynced(10_000);
    return events.filter((f) => f.t === "GROUP_MESSAGE").map((f) => (f.d as { payload: string }).payload);
  } finally {
    await client.close();
  }
}

describe("backup and restore", () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  const started = async (config: ServerConfig): Promise<RunningServer> => {
    const server = await startServer(config);
    cleanups.push(() => server.close());
    return server;
  };
  const live = async (): Promise<LiveServer> => {
    const s = await liveServer();
    cleanups.push(() => s.close());
    return s;
  };

  it("`volly backup` copies the embedded store online, consistently, and a fresh server reads the messages back", async () => {
    const s = await live();
    const dataDir = dirname(s.f.file);
    const alice = await s.register();
    const bob = await s.register();
    const groupId = await s.createGroup(alice, [bob]);
    const before: string[] = [];
    for (let i = 0; i < 30; i++) before.push((await s.send(alice, groupId)).ciphertext);

    // Keep writing while the backup runs: the copy must be one consistent snapshot.
    let writing = true;
    const during: string[] = [];
    const writer = (async () => {
      while (writing) during.push((await s.send(alice, groupId)).ciphertext);
    })();
    const { dir: out, remove } = removableTempDir();
    cleanups.push(remove);
    const file = `${out}/volly-backup.db`;
    const result = await backupEmbeddedStore({ ...DEFAULT_CONFIG, dataDir }, file);
    writing = false;
    await writer;
    expect(result).toMatchObject({ source: `${dataDir}/volly.db`, file });
    expect(result.bytes).toBeGreaterThan(0);
    expect(existsSync(`${file}-wal`)).toBe(false);

    const restoredDir = `${out}/restored`;
    mkdirSync(restoredDir);
    copyFileSync(file, `${restoredDir}/volly.db`);
    const restored = await started({ ...DEFAULT_CONFIG, port: 0, dataDir: restoredDir, logLevel: "silent" });
    const got = await backlogOf(restored.url, bob);
    // Everything acknowledged before the backup, then a prefix of what was written during it.
    expect(got.slice(0, 30)).toEqual(before);
    expect(got.slice(30)).toEqual(during.slice(0, got.length - 30));
  });

  it("refuses to overwrite a file, a missing database, and the PostgreSQL store (pg_dump is the tool)", async () => {
    const { dir, remove } = removableTempDir();
    cleanups.push(remove);
    writeFileSync(`${dir}/taken.db`, "x");
    await expect(
      backupEmbeddedStore({ ...DEFAULT_CONFIG, dataDir: dir }, `${dir}/out.db`),
    ).rejects.toMatchObject({
      code: "VOLLY_E_USAGE",
    });
    const s = await live();
    const config = { ...DEFAULT_CONFIG, dataDir: dirname(s.f.file) };
    await expect(backupEmbeddedStore(config, `${dir}/taken.db`)).rejects.toMatchObject({
      code: "VOLLY_E_USAGE",
    });
    await expect(backupEmbeddedStore(config, `${dir}/no/such/dir.db`)).rejects.toMatchObject({
      code: "VOLLY_E_USAGE",
    });
    await expect(
      backupEmbeddedStore({ ...config, databaseUrl: "postgres://h/db" }, `${dir}/pg.db`),
    ).rejects.toMatchObject({ code: "VOLLY_E_USAGE", message: PG_DUMP_HINT });
  });

  it.skipIf(!POSTGRES.run || !PG_TOOLS.run)(
    "pg_dump of the PostgreSQL store, pg_restore into an empty database, and a fresh server reads the messages back",
    async () => {
      POSTGRES.assert();
      PG_TOOLS.assert();
      const databases: TestDatabase[] = [await createTestDatabase(), await createTestDatabase()];
      cleanups.push(() => Promise.all(databases.map((d) => d.drop())));
      const [source, target] = databases as [TestDatabase, TestDatabase];
      const config = { ...DEFAULT_CONFIG, port: 0, logLevel: "silent" as const };
      const first = await started({ ...config, databaseUrl: source.url });
      const post = async (path: string, body: unknown, token?: string) => {
        const res = await fetch(`${first.url}${path}`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: JSON.stringify(body),
        });
        expect(res.status, await res.clone().text()).toBe(200);
        return res.json() as Promise<Record<string, unknown>>;
      };
      const alice = await registerOverFetch(first.url);
      const bob = await registerOverFetch(first.url);
      const groupId = "g".repeat(22);
      const bodies = await newGroupBodies(groupId, alice, [bob]);
      await post("/v1/groups", bodies.create, alice.token);
      await post(`/v1/groups/${groupId}/commits`, bodies.commit, alice.token);
      const sent: string[] = [];
      for (let i = 0; i < 10; i++) {
        const ciphertext = fakeCiphertext();
        sent.push(ciphertext);
        await post(
          `/v1/groups/${groupId}/messages`,
          { messageId: `m${i}`.padEnd(22, "x"), epoch: 1, ciphertext },
          alice.token,
        );
      }
      const { dir, remove } = removableTempDir();
      cleanups.push(remove);
      await run("pg_dump", ["--format=custom", `--file=${dir}/volly.dump`, source.url]);
      await run("pg_restore", ["--no-owner", `--dbname=${target.url}`, `${dir}/volly.dump`]);
      const restored = await started({ ...config, databaseUrl: target.url });
      expect(await backlogOf(restored.url, bob)).toEqual(sent);
    },
  );
});
