import { matches, ROUTES } from "@volly/protocol";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, Migrator, SqliteDialect } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removableTempDir } from "../../../test/helpers/temp-dir.js";
import { migration0001Initial } from "../src/store/migrations/0001-initial.js";
import { MIGRATIONS } from "../src/store/migrations/migrate.js";
import { openSqliteStore } from "../src/store/sqlite-store.js";
import { type AppFixture, appFixture } from "./helpers/app.js";
import { newKeys, registrationBody } from "./helpers/identity.js";

describe("display names in the directory", () => {
  let f: AppFixture;
  beforeAll(async () => {
    f = await appFixture();
  });
  afterAll(() => f.close());

  const register = async (handle: string, displayName?: string) => {
    const body = { ...registrationBody(handle, newKeys()), ...(displayName ? { displayName } : {}) };
    const res = await f.app.inject({ method: "POST", url: "/v1/accounts", payload: body });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { accountId: string; deviceId: string };
  };

  it("stores the display name given at registration and returns it from account and device lookups", async () => {
    const { deviceId } = await register("zoe", "Zoë Ångström 🦊");
    const account = await f.app.inject({ method: "GET", url: "/v1/accounts/zoe" });
    expect(account.json()).toMatchObject({ handle: "zoe", displayName: "Zoë Ångström 🦊" });
    expect(matches(ROUTES.getAccount.response, account.json())).toBe(true);
    const device = await f.app.inject({ method: "GET", url: `/v1/devices/${deviceId}` });
    expect(device.json()).toMatchObject({ handle: "zoe", displayName: "Zoë Ångström 🦊" });
    expect(matches(ROUTES.getDevice.response, device.json())).toBe(true);
  });

  it("leaves displayName out when none was given, and rejects an empty or over-long one", async () => {
    const { deviceId } = await register("nameless");
    expect(
      Object.keys((await f.app.inject({ method: "GET", url: "/v1/accounts/nameless" })).json()),
    ).not.toContain("displayName");
    const device = await f.app.inject({ method: "GET", url: `/v1/devices/${deviceId}` });
    expect(Object.keys(device.json())).not.toContain("displayName");
    for (const displayName of ["", "x".repeat(65)]) {
      const res = await f.app.inject({
        method: "POST",
        url: "/v1/accounts",
        payload: { ...registrationBody("badname", newKeys()), displayName },
      });
      expect(res.statusCode).toBe(400);
      expect((res.json() as { code: string }).code).toBe("VOLLY_E_BAD_REQUEST");
    }
  });
});

describe("migration 0002 on a database created by 0001", () => {
  it("adds accounts.display_name and group_members.left_seq and keeps every row", async () => {
    const { dir, remove } = removableTempDir();
    const file = `${dir}/volly.db`;
    try {
      // A database as the previous release left it: only migration 0001 applied.
      const old = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new BetterSqlite3(file) }) });
      const migrator = new Migrator({
        db: old,
        provider: { getMigrations: async () => ({ "0001-initial": migration0001Initial }) },
      });
      expect((await migrator.migrateToLatest()).error).toBeUndefined();
      await old.destroy();
      const raw = new BetterSqlite3(file);
      const a = "a".repeat(22);
      const d = "d".repeat(22);
      const g = "g".repeat(22);
      raw.prepare("INSERT INTO accounts VALUES (?, 'olduser', 'human', 1)").run(a);
      raw.prepare("INSERT INTO devices VALUES (?, ?, ?, 'laptop', 2)").run(d, a, "k".repeat(43));
      raw.prepare("INSERT INTO groups VALUES (?, 3, 7, 3)").run(g);
      raw.prepare("INSERT INTO group_members VALUES (?, ?, 0)").run(g, d);
      raw.close();

      const store = await openSqliteStore(file);
      try {
        expect(await store.accounts.findByHandle("olduser")).toEqual({
          id: a,
          handle: "olduser",
          entityType: "human",
          createdAt: 1,
        });
        expect(await store.devices.findById(d)).toMatchObject({ name: "laptop", handle: "olduser" });
        expect(await store.groups.find(g)).toMatchObject({ epoch: 3, lastSeq: 7 });
        expect(await store.groups.findMembership(g, d)).toEqual({
          groupId: g,
          deviceId: d,
          joinedSeq: 0,
          leftSeq: null,
        });
        expect(await store.groups.listMembers(g)).toEqual([d]);
        expect(await store.groupState.listAdmins(g)).toEqual([a]); // migration 0004: the creator
        await store.accounts.insert({
          id: "b".repeat(22),
          handle: "newuser",
          entityType: "bot",
          createdAt: 9,
          displayName: "New",
        });
        expect((await store.accounts.findByHandle("newuser"))?.displayName).toBe("New");
      } finally {
        await store.close();
      }
      const check = new BetterSqlite3(file, { readonly: true });
      try {
        const names = check.prepare("SELECT name FROM kysely_migration ORDER BY name").all();
        expect(names).toEqual(
          Object.keys(MIGRATIONS)
            .sort()
            .map((name) => ({ name })),
        );
      } finally {
        check.close();
      }
    } finally {
      remove();
    }
  });
});
