import { statSync } from "node:fs";
import BetterSqlite3 from "better-sqlite3";
import { describe, expect, it, vi } from "vitest";
import { removableTempDir } from "../../../test/helpers/temp-dir.js";
import { sleep } from "../../../test/helpers/wait-for.js";
import { openSqliteStore } from "../src/store/sqlite-store.js";
import { startWalCheckpointer } from "../src/store/wal-checkpointer.js";

/** True once every committed page is in the database file itself, i.e. the WAL is checkpointed. */
function checkpointed(file: string): boolean {
  const probe = new BetterSqlite3(file, { readonly: true });
  try {
    const pages = probe.pragma("page_count", { simple: true }) as number;
    const pageSize = probe.pragma("page_size", { simple: true }) as number;
    return statSync(file).size >= pages * pageSize;
  } finally {
    probe.close();
  }
}

describe("background WAL checkpoints (SQLite)", () => {
  it("copies committed pages into the database file from a worker, below SQLite's own 1,000-page trigger", async () => {
    const { dir, remove } = removableTempDir();
    const file = `${dir}/volly.db`;
    const store = await openSqliteStore(file);
    try {
      // the migrations' pages are checkpointed first
      await vi.waitFor(() => expect(checkpointed(file)).toBe(true), { timeout: 20_000, interval: 20 });
      const before = statSync(file).size;
      // ~200 KiB in a few dozen pages: far below the automatic checkpoint's 1,000 pages.
      for (let i = 0; i < 50; i++) {
        await store.accounts.insert({
          id: `acct${String(i).padStart(18, "0")}`,
          handle: `walcheck${i}`,
          entityType: "bot",
          createdAt: Date.now(),
          displayName: "x".repeat(4000),
        });
      }
      // No checkpoint of our own: the worker's (every 100 ms) must bring the file up to date.
      await vi.waitFor(
        () => {
          expect(checkpointed(file)).toBe(true);
          expect(statSync(file).size).toBeGreaterThan(before + 150_000);
        },
        { timeout: 20_000, interval: 20 },
      );
      // The copied data is really in the database file: a reader of the file alone (no WAL) sees it.
      const copy = `${dir}/copy.db`;
      await import("node:fs/promises").then((fs) => fs.copyFile(file, copy));
      const probe = new BetterSqlite3(copy, { readonly: true });
      try {
        const { n } = probe
          .prepare("select count(*) as n from accounts where handle like 'walcheck%'")
          .get() as {
          n: number;
        };
        expect(n).toBe(50);
      } finally {
        probe.close();
      }
    } finally {
      await store.close();
      remove();
    }
  });

  it("reports a checkpoint that fails and stops cleanly", async () => {
    const { dir, remove } = removableTempDir();
    const errors: string[] = [];
    const checkpointer = startWalCheckpointer(`${dir}/missing.db`, (message) => errors.push(message), 20);
    for (let i = 0; i < 100 && errors.length === 0; i++) await sleep(50);
    const started = Date.now();
    await checkpointer.stop();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(errors.join("\n")).toMatch(/does not exist|unable to open|SQLITE_CANTOPEN/i);
    remove();
  });
});
