import { join } from "node:path";
import { type MessageRecord, messageText, type VollyClient } from "@volly/client";
import { initNodeProfile, openNodeClient } from "@volly/client/node";
import { DEFAULT_CONFIG, type RunningServer, type ServerConfig, startServer } from "@volly/server";
import { afterEach, beforeEach } from "vitest";
import { tempDir } from "../../../test/helpers/temp-dir.js";

/** Cheap Argon2id: these tests create many profiles. */
export const TEST_KDF = { memoryKiB: 1024, iterations: 1 } as const;
const CLIENT_OPTIONS = { initialBackoffMs: 50, maxBackoffMs: 300 } as const;

/** A real server (in-process, SQLite in a temp dir, free loopback port) that can be restarted. */
export interface TestServer {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
  /** Starts again on the same port and data dir (after {@link stop}). */
  start(): Promise<void>;
}

/** Starts a real Volly server for a test (`overrides`: configuration fields to change, e.g. quotas). */
export async function testServer(overrides: Partial<ServerConfig> = {}): Promise<TestServer> {
  const dataDir = tempDir("volly-server-");
  const config = {
    ...DEFAULT_CONFIG,
    port: 0,
    host: "127.0.0.1",
    dataDir,
    logLevel: "silent" as const,
    ...overrides,
  };
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

/** What {@link useTestServer} gives the tests of a `describe` block. */
export interface ClientTestbed {
  /** This test's server: started before it, stopped after it. */
  readonly server: TestServer;
  /** This test's temporary directory for client profiles (fresh for each test). */
  readonly home: string;
  /** Creates and connects clients for these handles (see {@link connectedClients}); closed after the test. */
  clients(...handles: string[]): Promise<VollyClient[]>;
  /** Closes `client` (one made otherwise: {@link newClient}, {@link reopenClient}, a link…) after the test. */
  track<C extends VollyClient>(client: C): C;
  /** Stops tracking `client`, e.g. one the test closed itself and reopened. */
  untrack(client: VollyClient): void;
}

/**
 * The fixture of the SDK's server-backed tests. Call it inside a `describe` block: it registers a
 * `beforeEach` that starts a fresh {@link testServer} and makes a fresh home ({@link tempDir}), and an
 * `afterEach` that closes every client from `clients(...)` or `track(...)` (ignoring close errors), in
 * order, then stops the server. Read `server` and `home` inside tests and hooks only.
 *
 * @param overrides server configuration to change (see {@link testServer})
 */
export function useTestServer(overrides: Partial<ServerConfig> = {}): ClientTestbed {
  let server: TestServer | undefined;
  let home: string | undefined;
  const open: VollyClient[] = [];
  beforeEach(async () => {
    server = await testServer(overrides);
    home = tempDir();
  });
  afterEach(async () => {
    for (const c of open.splice(0)) await c.close().catch(() => undefined);
    await server?.stop();
  });
  const outsideTest = (what: string) => new Error(`useTestServer: ${what} is only set inside a test`);
  const bed: ClientTestbed = {
    get server() {
      if (!server) throw outsideTest("server");
      return server;
    },
    get home() {
      if (home === undefined) throw outsideTest("home");
      return home;
    },
    async clients(...handles) {
      const list = await connectedClients(bed.server, bed.home, handles);
      open.push(...list);
      return list;
    },
    track(client) {
      open.push(client);
      return client;
    },
    untrack(client) {
      const at = open.indexOf(client);
      if (at >= 0) open.splice(at, 1);
    },
  };
  return bed;
}

/** Collects every incoming message a client stores (not membership events). */
export function inbox(client: VollyClient): MessageRecord[] {
  const got: MessageRecord[] = [];
  client.messaging.received.add((m) => {
    if (m.direction === "in" && messageText(m) !== undefined) got.push(m);
  });
  return got;
}

/** Texts of a conversation's history as `client` sees it (its text messages, no membership events). */
export async function texts(client: VollyClient, conversationId: string): Promise<string[]> {
  return (await client.messaging.history(conversationId)).flatMap((m) => messageText(m) ?? []);
}
