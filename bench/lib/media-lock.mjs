/**
 * The machine-wide lock of the Chromium media tests (test/e2e/helpers/media-lock.ts, which
 * TypeScript keeps apart), taken by the browser benchmarks too: live audio and video in several
 * browsers on 2 cores starve each other's decoders, which would fail a test and skew a figure. The
 * lock is a directory ($TMPDIR/volly-e2e-media.lock) created atomically, holding its owner's pid; a
 * lock whose owner died is taken over.
 */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const LOCK_DIR = join(tmpdir(), "volly-e2e-media.lock");
/** How often a waiting process looks again (ms). */
const POLL_MS = 250;
/** A lock directory without its pid file for this long (ms) was left by an owner that died. */
const NO_PID_STALE_MS = 5_000;

/**
 * Takes the media lock, waiting up to `timeoutMs` (ms) for its holder.
 * @param onWait called once if the lock is held when asked (e.g. to say so on stderr)
 * @returns the release function (idempotent; also run if this process exits holding it)
 * @throws Error when the lock is still held after `timeoutMs`
 */
export async function acquireMediaLock(timeoutMs = 900_000, onWait = () => undefined) {
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      writeFileSync(join(LOCK_DIR, "pid"), String(process.pid));
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        process.off("exit", release);
        rmSync(LOCK_DIR, { recursive: true, force: true });
      };
      process.on("exit", release);
      return release;
    } catch (error) {
      if (error.code !== "EEXIST") throw error;
    }
    if (!ownerAlive()) rmSync(LOCK_DIR, { recursive: true, force: true });
    else if (Date.now() > deadline) throw new Error(`the media lock ${LOCK_DIR} is still held`);
    else {
      if (!told) onWait();
      told = true;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }
}

/** Whether the lock's owner still runs (a lock just created, without its pid yet, does). */
function ownerAlive() {
  let pid;
  try {
    pid = Number(readFileSync(join(LOCK_DIR, "pid"), "utf8"));
  } catch {
    try {
      return Date.now() - statSync(LOCK_DIR).mtimeMs < NO_PID_STALE_MS;
    } catch {
      return true; // just released: the next mkdir takes it
    }
  }
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}
