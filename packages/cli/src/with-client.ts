import type { VollyClient } from "@volly/client";
import { openNodeClient, openNodeClientWithApiKey } from "@volly/client/node";
import { VollyError } from "@volly/protocol";
import { resolveApiKey } from "./api-key-source.js";
import { type GlobalOptions, profileDir } from "./options.js";
import type { Output } from "./output.js";
import { resolvePin } from "./pin.js";
import { allowSecondIntervals } from "./schedule-args.js";

/**
 * Unlocks the profile, runs `fn` with the client, and always closes it. With an API key
 * (`VOLLY_API_KEY` or `--api-key-file`) the profile opens with the key — no PIN prompt — and every
 * sign-in and gateway IDENTIFY carries it; otherwise with the PIN.
 */
export async function withClient<T>(
  opts: GlobalOptions,
  fn: (client: VollyClient) => Promise<T>,
): Promise<T> {
  const options = allowSecondIntervals() ? { scheduling: { allowSecondIntervals: true } } : {};
  const apiKey = resolveApiKey(opts);
  const client =
    apiKey !== undefined
      ? await openNodeClientWithApiKey(profileDir(opts), apiKey, options)
      : await openNodeClient(profileDir(opts), await resolvePin(opts.pin), options);
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

/**
 * Like {@link withClient}, but first connects and processes the server's backlog, so commits are
 * made at the current epoch and conversations are up to date.
 */
export function withSyncedClient<T>(
  opts: GlobalOptions,
  fn: (client: VollyClient) => Promise<T>,
): Promise<T> {
  return withClient(opts, async (client) => {
    await client.authenticate();
    await client.connect();
    return fn(client);
  });
}

/**
 * Like {@link withSyncedClient} while the server answers; when it cannot be reached
 * (VOLLY_E_SERVER_UNREACHABLE) it warns on stderr that the list is this device's stored one, and
 * runs `fn` on the local state all the same. Used by the commands that list things (`conversations`,
 * `groups`), so a freshly linked device shows what the server holds for it. Other errors (a wrong
 * PIN, a revoked device) are thrown.
 */
export function withClientSyncedIfReachable<T>(
  opts: GlobalOptions,
  out: Output,
  fn: (client: VollyClient) => Promise<T>,
): Promise<T> {
  return withClient(opts, async (client) => {
    try {
      await client.authenticate();
      await client.connect();
    } catch (err) {
      if (!(err instanceof VollyError) || err.code !== "VOLLY_E_SERVER_UNREACHABLE") throw err;
      out.warn(err.code, `offline, showing what this device has stored: ${err.message}`);
    }
    return fn(client);
  });
}
