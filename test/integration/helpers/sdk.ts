import { join } from "node:path";
import type { MessageRecord, VollyClient } from "@volly/client";
import { initNodeProfile, linkNodeProfile, openNodeClient } from "@volly/client/node";

/** Cheap Argon2id for tests that create many profiles (the CLI tests use the real cost). */
export const TEST_KDF = { memoryKiB: 1024, iterations: 1 } as const;

/** Creates a profile for `handle` in `home/handle` on `serverUrl` and returns its client. */
export function newClient(home: string, serverUrl: string, handle: string): Promise<VollyClient> {
  return initNodeProfile(
    join(home, handle),
    { serverUrl, handle, pin: "123456", kdf: TEST_KDF },
    { initialBackoffMs: 50, maxBackoffMs: 500 },
  );
}

/** Re-opens the profile of `handle` in `home/handle`. */
export function reopenClient(home: string, handle: string): Promise<VollyClient> {
  return openNodeClient(join(home, handle), "123456", { initialBackoffMs: 50, maxBackoffMs: 500 });
}

/** Collects every message a client receives. */
export function collect(client: VollyClient): MessageRecord[] {
  const got: MessageRecord[] = [];
  client.messaging.received.add((m) => {
    if (m.direction === "in") got.push(m);
  });
  return got;
}

/**
 * Links a new device named `name` (profile in `home/name`) to `owner`'s account — the owner approves
 * it, its conversations are handed over — and returns it connected.
 */
export async function linkDevice(owner: VollyClient, home: string, name: string): Promise<VollyClient> {
  const link = await owner.devices.startLink();
  const [device] = await Promise.all([
    linkNodeProfile(
      join(home, name),
      { code: link.code, pin: "123456", deviceName: name, kdf: TEST_KDF, pollIntervalMs: 50 },
      { initialBackoffMs: 50, maxBackoffMs: 500 },
    ),
    owner.devices.waitAndApprove(link.linkId, link.secret, 30_000),
  ]);
  await device.connect();
  return device;
}
