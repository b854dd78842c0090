import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sleep } from "../../helpers/wait-for.js";

/** Where the lock lives: one directory per machine, created atomically (mkdir). */
const LOCK_DIR = join(tmpdir(), "volly-e2e-media.lock");
/** How often a waiting file looks again (ms). */
const POLL_MS = 250;

/**
 * Takes the machine-wide lock of the Chromium media tests (calls, voice channels) so that two of
 * those files never run at once: each encodes and decodes live video and audio in several browsers,
 * and on 2 cores two at a time starve each other's decoders (frames stop for seconds, and a test
 * waiting for frames times out). Other test files still run alongside. The lock is a directory
 * holding the owner's pid; a lock whose owner died is taken over.
 *
 * @param timeoutMs give up after this long (ms)
 * @returns the release function (idempotent)
 * @throws Error when the lock is still held after `timeoutMs`
 */
export async function acquireMediaLock(timeoutMs = 600_000): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      writeFileSync(join(LOCK_DIR, "pid"), String(process.pid));
      let released = false;
      return () => {
        if (released) return;
        released = true;
        rmSync(LOCK_DIR, { recursive: true, force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    if (!ownerAlive()) rmSync(LOCK_DIR, { recursive: true, force: true });
    else if (Date.now() > deadline) throw new Error(`the media test lock ${LOCK_DIR} is still held`);
    else await sleep(POLL_MS);
  }
}

/** A lock directory without its pid file for this long (ms) was left by an owner that died. */
const NO_PID_STALE_MS = 5_000;

/** Whether the lock's owner process still runs (a lock just created, without its pid yet, does). */
function ownerAlive(): boolean {
  let pid: number;
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
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The timeout of a `beforeAll` that waits for the lock (ms): the wait plus the file's own setup. */
export const MEDIA_LOCK_HOOK_TIMEOUT_MS = 720_000;
