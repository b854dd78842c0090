import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { VollyError } from "@volly/protocol";

/** Options every command accepts (commander's global options). */
export interface GlobalOptions {
  profile?: string;
  json?: boolean;
  pin?: string;
  /** `--api-key-file FILE`: the API key (first line) that unlocks the profile and signs in, no PIN. */
  apiKeyFile?: string;
}

/**
 * The profile directory, absolute: `--profile`, else `VOLLY_PROFILE` (empty = unset), else
 * `~/.volly`. Throws VOLLY_E_USAGE for an empty `--profile` (it would mean the current directory).
 */
export function profileDir(opts: GlobalOptions): string {
  if (opts.profile !== undefined && opts.profile.trim() === "") {
    throw new VollyError("VOLLY_E_USAGE", "--profile needs a directory.");
  }
  return resolve(opts.profile ?? (process.env.VOLLY_PROFILE || join(homedir(), ".volly")));
}

/** Parses an `http(s)://host[:port]` server URL. Throws VOLLY_E_USAGE. */
export function parseServerUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new VollyError("VOLLY_E_USAGE", `Not a URL: ${value}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new VollyError("VOLLY_E_USAGE", "The server URL must start with http:// or https://");
  }
  return url.origin;
}

/** Parses a duration such as `30m`, `24h`, `7d` into ms. Throws VOLLY_E_USAGE. */
export function parseDuration(value: string): number {
  const m = /^(\d{1,6})([smhd])$/.exec(value);
  if (!m) throw new VollyError("VOLLY_E_USAGE", `Not a duration (e.g. 30m, 24h, 7d): ${value}`);
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "s" | "m" | "h" | "d"];
  return Number(m[1]) * unit;
}

/** Parses a non-negative integer option. Throws VOLLY_E_USAGE. */
export function parseNonNegativeInt(name: string, value: string, max = 2 ** 31): number {
  if (!/^\d+$/.test(value) || Number(value) > max) {
    throw new VollyError("VOLLY_E_USAGE", `--${name} must be a whole number from 0 to ${max}`);
  }
  return Number(value);
}
