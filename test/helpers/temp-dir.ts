import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A fresh directory under the OS temp dir (left for the OS to clean). */
export function tempDir(prefix = "volly-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A fresh directory under the OS temp dir, and the function that removes it with its contents. */
export function removableTempDir(prefix = "volly-test-"): { dir: string; remove: () => void } {
  const dir = tempDir(prefix);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
