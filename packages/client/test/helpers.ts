import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MessageRecord, VollyClient } from "@volly/client";
import { initNodeProfile, openNodeClient } from "@volly/client/node";
import { DEFAULT_CONFIG, type RunningServer, startServer } from "@volly/server";

/** Cheap Argon2id: these tests create many profiles. */
export const TEST_KDF = { memoryKiB: 1024, iterations: 1 } as const;
const CLIENT_OPTIONS = { initialBackoffMs: 50, maxBackoffMs: 300 } as const;

/** A fresh temporary directory. */
export function tempDir(prefix = "volly-client-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A real server (in-process, SQLite in a temp dir, free loopback port) that can be restarted. */
export interface TestServer {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
  /** Starts again on the same port and data dir (after {@link stop}). */
  start(): Promise<void>;
}

/** Starts a real Volly server for a test. */
export async function testServer(): Promise<TestServer> {
  const dataDir = tempDir("volly-server-");
  const config = { ...DEFAULT_CONFIG, port: 0, host: "127.0.0.1", dataDir, logLevel: "silent" as const };
  let running: RunningServer | undefined = await startServer(config);
  const port = running.port;
  return {
    url: running.url,
    dataDir,
    async stop() {
      await running?.close();
      running = undefined;
    },
    async start() {
      running ??= await startServer({ ...config, port });
    },
  };
}

/** Creates a profile for `handle` under `home` and returns its (not yet connected) client. */
export function newClient(
  home: string,
  serverUrl: string,
  handle: string,
  extra: { displayName?: string } = {},
): Promise<VollyClient> {
  return initNodeProfile(
    join(home, handle),
    { serverUrl, handle, pin: "123456", kdf: TEST_KDF, ...extra },
    CLIENT_OPTIONS,
  );
}

/** Re-opens the profile of `handle` under `home`. */
export function reopenClient(home: string, handle: string): Promise<VollyClient> {
  return openNodeClient(join(home, handle), "123456", CLIENT_OPTIONS);
}

/** Creates and connects clients for these handles (each with a fresh handle suffix-free name). */
export async function connectedClients(
  server: TestServer,
  home: string,
  handles: string[],
): Promise<VollyClient[]> {
  const clients = await Promise.all(handles.map((h) => newClient(home, server.url, h)));
  await Promise.all(clients.map((c) => c.connect()));
  return clients;
}

/** Collects every incoming message a client stores. */
export function inbox(client: VollyClient): MessageRecord[] {
  const got: MessageRecord[] = [];
  client.messaging.received.add((m) => {
    if (m.direction === "in") got.push(m);
  });
  return got;
}

/** Polls `predicate` every 25 ms until it holds; throws after `timeoutMs`. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  what = "condition",
  timeoutMs = 20_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Texts of a conversation's history as `client` sees it. */
export async function texts(client: VollyClient, conversationId: string): Promise<string[]> {
  return (await client.messaging.history(conversationId)).map((m) => m.text);
}
