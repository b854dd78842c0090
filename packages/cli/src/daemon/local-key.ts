import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { mkdir, open, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { VollyError } from "@volly/protocol";

/** The prefix of a daemon's local API key: `vdk_` + 43 base64url characters (256 random bits). */
export const LOCAL_KEY_PREFIX = "vdk_";
const KEY_PATTERN = /^vdk_[A-Za-z0-9_-]{43}$/;

/** The daemon's local API key and whether it was just created (then it is printed once). */
export interface LocalKey {
  key: string;
  created: boolean;
}

/**
 * Reads the local API key from `file` (its first line, trimmed), or — when the file does not exist —
 * creates a new random key there with mode 0600 (owner read/write only; `wx`: never overwrites a
 * file made meanwhile).
 *
 * @throws VOLLY_E_USAGE when the file exists but holds no valid `vdk_…` key, or cannot be read
 */
export async function loadOrCreateLocalKey(file: string): Promise<LocalKey> {
  try {
    const text = (await readFile(file, "utf8")).split("\n")[0]?.trim() ?? "";
    if (!KEY_PATTERN.test(text)) {
      throw new VollyError(
        "VOLLY_E_USAGE",
        `${file} does not hold a daemon key (vdk_ + 43 base64url characters); delete it to make a new one.`,
      );
    }
    return { key: text, created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") {
      if (err instanceof VollyError) throw err;
      throw new VollyError("VOLLY_E_USAGE", `cannot read the key file ${file}: ${(err as Error).message}`);
    }
  }
  const key = LOCAL_KEY_PREFIX + randomBytes(32).toString("base64url");
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const handle = await open(file, "wx", 0o600);
  try {
    await handle.writeFile(`${key}\n`);
  } finally {
    await handle.close();
  }
  return { key, created: true };
}

/**
 * A constant-time check of an `Authorization` header against the key: both sides are hashed
 * (SHA-256) so lengths never leak and `timingSafeEqual` compares equal-length digests.
 *
 * @returns true only for exactly `Bearer KEY`
 */
export function authorizationMatches(header: string | undefined, key: string): boolean {
  if (typeof header !== "string") return false;
  const expected = createHash("sha256").update(`Bearer ${key}`).digest();
  const given = createHash("sha256").update(header).digest();
  return timingSafeEqual(expected, given);
}
