import type { VollyClient } from "@volly/client";
import { openNodeClient } from "@volly/client/node";
import { type GlobalOptions, profileDir } from "./options.js";
import { resolvePin } from "./pin.js";

/** Unlocks the profile, runs `fn` with the client, and always closes it. */
export async function withClient<T>(
  opts: GlobalOptions,
  fn: (client: VollyClient) => Promise<T>,
): Promise<T> {
  const pin = await resolvePin(opts.pin);
  const client = await openNodeClient(profileDir(opts), pin);
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
