/**
 * The disk's floor under a durable message: how long one SQLite commit of a small row takes when it
 * must be on disk before it returns (WAL, `synchronous=FULL`: the write plus an fsync of the WAL),
 * measured on the file system the benchmark's servers keep their data on (the OS temp directory).
 * No server acknowledges a message faster than its disk makes it durable, so this is reported beside
 * the latency figures it bounds.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { percentile } from "./stats.mjs";

/**
 * Commits `commits` single-row transactions `gapMs` apart (a light, steady load like a few hundred
 * messages/s) and returns their durations.
 *
 * @param {{ commits?: number, gapMs?: number }} [options] how many commits (default 400) and the
 *   pause between them (ms, default 5)
 * @returns {Promise<{ diskCommitP50Ms: number, diskCommitP99Ms: number, diskCommitMaxMs: number }>}
 */
export async function measureDiskCommit({ commits = 400, gapMs = 5 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "volly-disk-"));
  const db = new Database(join(dir, "probe.db"));
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.exec("create table t (id integer primary key, payload blob not null)");
    const insert = db.prepare("insert into t (payload) values (?)");
    const commit = db.transaction((payload) => insert.run(payload));
    const payload = Buffer.alloc(400);
    const times = [];
    for (let i = 0; i < commits; i++) {
      const t0 = performance.now();
      commit(payload);
      times.push(performance.now() - t0);
      await new Promise((resolve) => setTimeout(resolve, gapMs));
    }
    return {
      diskCommitP50Ms: percentile(times, 50),
      diskCommitP99Ms: percentile(times, 99),
      diskCommitMaxMs: Math.max(...times),
    };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
