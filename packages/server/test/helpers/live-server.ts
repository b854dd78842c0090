import { GatewayOp, newId } from "@volly/protocol";
import { afterAll, afterEach, beforeAll, beforeEach, expect } from "vitest";
import type { ServerConfig } from "../../src/config.js";
import { type AppFixture, appFixture, type HttpDevice, registerOverHttp, sessionOverHttp } from "./app.js";
import { connectGateway, connectIdentified, type Frame, type GatewayClient } from "./gateway-client.js";
import { newKeys } from "./identity.js";
import { commitBody, createGroupBody, rememberDevice } from "./mls-groups.js";
import { fakeCiphertext } from "./services.js";

/** A listening app over a temp SQLite store, with REST shortcuts and gateway clients closed on `close()`. */
export interface LiveServer {
  f: AppFixture;
  /** `http://127.0.0.1:<port>` */
  base: string;
  gatewayUrl: string;
  register(handle?: string): Promise<HttpDevice>;
  /**
   * Adds another device to `account`'s account, straight into the store (quicker than the linking
   * flow), and opens a REST session for it.
   */
  addDevice(account: HttpDevice): Promise<HttpDevice>;
  /** Connects a raw gateway client (HELLO received, not identified). */
  connect(): Promise<GatewayClient>;
  /** Connects and identifies `device`; resolves after READY. */
  identified(device: HttpDevice): Promise<GatewayClient>;
  /** Connects, identifies and consumes frames up to SYNCED; returns the client and the frames before SYNCED. */
  synced(device: HttpDevice): Promise<{ client: GatewayClient; events: Frame[] }>;
  /** Creates a group owned by `owner` and adds `members` in one commit at epoch 0 (→ epoch 1). */
  createGroup(owner: HttpDevice, members: HttpDevice[]): Promise<string>;
  /** Sends a message over REST at `epoch` (default 1); expects 200. */
  send(sender: HttpDevice, groupId: string, epoch?: number): Promise<{ seq: number; ciphertext: string }>;
  /**
   * POSTs a real commit by `device` for the group's current epoch adding `add` or removing `remove`
   * (with neither: an external commit replacing its own leaf, see `mls-groups.ts`); returns the
   * response.
   */
  commit(
    device: HttpDevice,
    groupId: string,
    add?: HttpDevice[],
    remove?: HttpDevice[],
  ): Promise<{ statusCode: number; json: () => unknown }>;
  /** POST /v1/groups/:groupId/leave; returns the response. */
  leave(device: HttpDevice, groupId: string): Promise<{ statusCode: number; json: () => unknown }>;
  close(): Promise<void>;
}

/** Starts a {@link LiveServer} on a free loopback port, with `overrides` of the test config. */
export async function liveServer(overrides: Partial<ServerConfig> = {}): Promise<LiveServer> {
  const f = await appFixture(overrides);
  const base = await f.app.listen({ port: 0, host: "127.0.0.1" });
  const gatewayUrl = `${base.replace("http", "ws")}/v1/gateway`;
  const clients: GatewayClient[] = [];
  const live: LiveServer = {
    f,
    base,
    gatewayUrl,
    register: (handle) => registerOverHttp(f.app, handle),
    async addDevice(account) {
      const keys = newKeys();
      const deviceId = newId();
      await f.store.devices.insert({
        id: deviceId,
        accountId: account.accountId,
        signaturePublicKey: keys.publicKeyB64,
        name: "second device",
        createdAt: Date.now(),
      });
      const token = await sessionOverHttp(f.app, deviceId, keys);
      rememberDevice({ accountId: account.accountId, deviceId, keys });
      return { ...account, deviceId, keys, token, auth: { authorization: `Bearer ${token}` } };
    },
    async connect() {
      const client = await connectGateway(gatewayUrl);
      clients.push(client);
      return client;
    },
    async identified(device) {
      const { client } = await connectIdentified(gatewayUrl, device);
      clients.push(client);
      return client;
    },
    async synced(device) {
      const client = await live.identified(device);
      const { events } = await client.untilSynced();
      return { client, events };
    },
    async createGroup(owner, members) {
      const groupId = newId();
      const created = await f.app.inject({
        method: "POST",
        url: "/v1/groups",
        headers: owner.auth,
        payload: await createGroupBody(groupId, owner),
      });
      expect(created.statusCode, created.body).toBe(200);
      if (members.length > 0) {
        const res = await live.commit(owner, groupId, members);
        expect(res.statusCode).toBe(200);
      }
      return groupId;
    },
    async send(sender, groupId, epoch = 1) {
      const ciphertext = fakeCiphertext();
      const res = await f.app.inject({
        method: "POST",
        url: `/v1/groups/${groupId}/messages`,
        headers: sender.auth,
        payload: { messageId: newId(), epoch, ciphertext },
      });
      expect(res.statusCode, res.body).toBe(200);
      return { seq: (res.json() as { seq: number }).seq, ciphertext };
    },
    async commit(device, groupId, add = [], remove = []) {
      return f.app.inject({
        method: "POST",
        url: `/v1/groups/${groupId}/commits`,
        headers: device.auth,
        payload: await commitBody(f.store, groupId, device, add, remove),
      });
    },
    leave(device, groupId) {
      return f.app.inject({ method: "POST", url: `/v1/groups/${groupId}/leave`, headers: device.auth });
    },
    async close() {
      await Promise.all(clients.map((c) => c.close()));
      await f.close();
    },
  };
  return live;
}

/**
 * The fixture of the tests that talk to a listening server: call it inside a `describe` block. It
 * starts a {@link liveServer} before the block's tests and closes it after them (`beforeAll` /
 * `afterAll`; with `perTest`, a fresh one around each test: `beforeEach` / `afterEach`), and
 * returns a {@link LiveServer} that stands for the running one. Use it inside tests and hooks only.
 */
export function useLiveServer({ perTest = false }: { perTest?: boolean } = {}): LiveServer {
  let current: LiveServer | undefined;
  (perTest ? beforeEach : beforeAll)(async () => {
    current = await liveServer();
  });
  (perTest ? afterEach : afterAll)(async () => {
    await current?.close();
    current = undefined;
  });
  return new Proxy({} as LiveServer, {
    get(_target, key) {
      if (!current) throw new Error(`useLiveServer: ${String(key)} is only there inside a test`);
      return current[key as keyof LiveServer];
    },
  });
}

/** The dispatches of event `t` a client received so far (consumed or not). */
export function dispatched(client: GatewayClient, t: string): Frame[] {
  return client.received.filter((x) => x.t === t);
}

/** Expects a HEARTBEAT to be answered with HEARTBEAT_ACK: the connection is open and served. */
export async function expectStillServing(client: GatewayClient): Promise<void> {
  client.send({ op: GatewayOp.HEARTBEAT, d: null });
  expect((await client.next((x) => x.op === GatewayOp.HEARTBEAT_ACK)).d).toBeNull();
}
