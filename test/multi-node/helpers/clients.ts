import { join } from "node:path";
import type { MessageRecord, VollyClient } from "@volly/client";
import { initNodeProfile } from "@volly/client/node";

/** Cheap Argon2id for tests that create many profiles. */
export const TEST_KDF = { memoryKiB: 1024, iterations: 1 } as const;

/**
 * Creates a profile for `handle` registered through `urls[0]` whose client uses every URL, the
 * first preferred (`serverUrls`), and fails over to the next when its node dies.
 */
export function clusterClient(home: string, handle: string, urls: string[]): Promise<VollyClient> {
  return initNodeProfile(
    join(home, handle),
    { serverUrl: urls[0] ?? "", handle, pin: "123456", kdf: TEST_KDF },
    { serverUrls: urls, initialBackoffMs: 50, maxBackoffMs: 500 },
  );
}

/** `urls` rotated to start at index `start`. */
export function rotated(urls: string[], start: number): string[] {
  return urls.map((_, i) => urls[(start + i) % urls.length] ?? "");
}

/** Collects every incoming message a client stores. */
export function collect(client: VollyClient): MessageRecord[] {
  const got: MessageRecord[] = [];
  client.messaging.received.add((m) => {
    if (m.direction === "in") got.push(m);
  });
  return got;
}
