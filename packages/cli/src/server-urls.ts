import { VollyError } from "@volly/protocol";
import { parseServerUrl } from "./options.js";

/** The most server URLs one profile keeps (nodes of one deployment). */
export const MAX_SERVER_URLS = 16;

/**
 * The server URLs `volly init` registers with and keeps in the profile, the preferred one first:
 * the `--server` flags (repeatable, one URL each), else `env` — the VOLLY_SERVER variable, a
 * comma-separated list — else `undefined`. Each must be an http(s) URL; only origins are kept and
 * duplicates dropped.
 *
 * @param flags the values of every `--server` flag, in order
 * @param env VOLLY_SERVER's value (empty = unset)
 * @throws VollyError VOLLY_E_USAGE for a value that is not an http(s) URL (a comma inside one
 *   `--server` value included) or more than {@link MAX_SERVER_URLS} URLs
 */
export function resolveServerUrls(
  flags: readonly string[],
  env: string | undefined = process.env.VOLLY_SERVER,
): string[] | undefined {
  let values: string[];
  if (flags.length > 0) {
    values = flags.map((value) => {
      if (value.includes(",")) {
        throw new VollyError(
          "VOLLY_E_USAGE",
          `One URL per --server (repeat --server for each server): ${value}`,
        );
      }
      return value;
    });
  } else if (env?.trim()) {
    values = env.split(",").map((v) => v.trim());
  } else {
    return undefined;
  }
  const source = flags.length > 0 ? "--server" : "VOLLY_SERVER";
  const urls = [
    ...new Set(
      values.map((value) => {
        try {
          return parseServerUrl(value);
        } catch (err) {
          throw err instanceof VollyError ? new VollyError(err.code, `${source}: ${err.message}`) : err;
        }
      }),
    ),
  ];
  if (urls.length > MAX_SERVER_URLS) {
    throw new VollyError("VOLLY_E_USAGE", `At most ${MAX_SERVER_URLS} server URLs.`);
  }
  return urls;
}

/** `A` for one URL, `A (also B, C)` for several: how init and status name a profile's servers. */
export function describeServers(urls: readonly string[]): string {
  const [first, ...others] = urls;
  return others.length ? `${first} (also ${others.join(", ")})` : (first ?? "");
}
