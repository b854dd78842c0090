import { constants } from "node:fs";
import { access } from "node:fs/promises";
import { join } from "node:path";

/** Longest file name written (bytes of UTF-8 are not counted; characters are, well under 255). */
const MAX_NAME = 200;

/**
 * A file name from a sender's attachment name that is safe to create in a download directory: its
 * last path segment only (no `/`, `\`, `..` can leave the directory), without control characters
 * or characters Windows refuses, not hidden (no leading dot), never empty ("file").
 */
export function safeFileName(name: string): string {
  const last = name.split(/[/\\]/).pop() ?? "";
  let cleaned = last
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
    .replace(/[\u0000-\u001f\u007f-\u009f<>:"|?*\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, "_")
    .replace(/^[.\s]+/, "")
    .replace(/[.\s]+$/, "")
    .trim();
  if (cleaned.length > MAX_NAME) {
    const dot = cleaned.lastIndexOf(".");
    const ext = dot > 0 && cleaned.length - dot <= 16 ? cleaned.slice(dot) : "";
    cleaned = cleaned.slice(0, MAX_NAME - ext.length) + ext;
  }
  return cleaned === "" ? "file" : cleaned;
}

/**
 * A path in `dir` for `name` ({@link safeFileName}) that does not exist yet: `name`, then
 * `name (1).ext`, `name (2).ext`… — an existing file is never overwritten. `taken` holds paths
 * already chosen in this run (not yet written).
 */
export async function freePath(dir: string, name: string, taken: Set<string>): Promise<string> {
  const safe = safeFileName(name);
  const dot = safe.lastIndexOf(".");
  const [stem, ext] = dot > 0 ? [safe.slice(0, dot), safe.slice(dot)] : [safe, ""];
  for (let n = 0; ; n++) {
    const path = join(dir, n === 0 ? safe : `${stem} (${n})${ext}`);
    if (taken.has(path)) continue;
    const exists = await access(path, constants.F_OK).then(
      () => true,
      () => false,
    );
    if (!exists) {
      taken.add(path);
      return path;
    }
  }
}
