import { GatewayOp, newId, signingInput } from "@volly/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { removableTempDir } from "../../../test/helpers/temp-dir.js";
import { sleep } from "../../../test/helpers/wait-for.js";
import { DEFAULT_CONFIG, type RateLimitConfig } from "../src/config.js";
import { type RunningServer, startServer } from "../src/start-server.js";
import { type AppFixture, appFixture, type HttpDevice, registerOverHttp } from "./helpers/app.js";
import { connectIdentified, type Frame, type GatewayClient } from "./helpers/gateway-client.js";
import { newKeys, registrationBody, signB64, uniqueHandle } from "./helpers/identity.js";
import { expectStillServing } from "./helpers/live-server.js";
import { newGroupBodies } from "./helpers/mls-groups.js";
import { createTestDatabase, POSTGRES, type TestDatabase } from "./helpers/postgres.js";
import { type PrivateRedis, REDIS_SERVER, startPrivateRedis } from "./helpers/redis-server.js";
import { fakeCiphertext } from "./helpers/services.js";

const WINDOW_MS = 60_000;

interface Answer {
  op: number;
  d: { messageId?: string; code?: string; details?: Record<string, unknown> };
}

/** Sends a SEND frame and resolves with its answer (SEND_ACK, or ERROR naming the message). */
async function sendOne(
  client: GatewayClient,
  groupId: string,
  ciphertext = fakeCiphertext(),
): Promise<Answer> {
  const messageId = newId();
  client.send({ op: GatewayOp.SEND, d: { groupId, messageId, epoch: 1, ciphertext } });
  const answer = await client.next(
    (f: Frame) =>
      (f.op === GatewayOp.SEND_ACK && (f.d as { messageId: string }).messageId === messageId) ||
      (f.op === GatewayOp.ERROR &&
        (f.d as { details?: { messageId?: string } }).details?.messageId === messageId),
  );
  return answer as Answer;
}

function expectRateLimited(answer: Answer, limit: "messages" | "bytes") {
  expect(answer.op).toBe(GatewayOp.ERROR);
  expect(answer.d.code).toBe("VOLLY_E_RATE_LIMITED");
  expect(answer.d.details).toMatchObject({ messageId: expect.any(String), limit });
  const retryAfterMs = answer.d.details?.retryAfterMs as number;
  expect(retryAfterMs).toBeGreaterThan(0);
  expect(retryAfterMs).toBeLessThanOrEqual(WINDOW_MS);
}

/** The application messages of `groupId` a device reads back from the store (backlog on IDENTIFY). */
async function storedMessages(gatewayUrl: string, device: HttpDevice, groupId: string): Promise<number> {
  const { client } = await connectIdentified(gatewayUrl, device);
  try {
    const { events } = await client.untilSynced();
    return events.filter(
      (f) =>
        f.t === "GROUP_MESSAGE" &&
        (f.d as { groupId: string; kind: string }).groupId === groupId &&
        (f.d as { kind: string }).kind === "application",
    ).length;
  } finally {
    await client.close();
  }
}

describe("gateway SENDs are charged to the account's rate limit (embedded shape)", () => {
  let f: AppFixture;
  let gatewayUrl: string;
  const clients: GatewayClient[] = [];
  const limits = {
    windowMs: WINDOW_MS,
    accountMax: 5,
    ipMax: 1_000_000,
    accountBytesMax: 12_000,
  } satisfies RateLimitConfig;
  beforeAll(async () => {
    f = await appFixture({ rateLimit: limits });
    const base = await f.app.listen({ port: 0, host: "127.0.0.1" });
    gatewayUrl = `${base.replace("http", "ws")}/v1/gateway`;
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await f.close();
  });

  /** A group of a new owner and a new member at epoch 1; the member's account has used no budget. */
  const group = async () => {
    const owner = await registerOverHttp(f.app);
    const member = await registerOverHttp(f.app);
    const groupId = newId();
    const bodies = await newGroupBodies(groupId, owner, [member]);
    const created = await f.app.inject({
      method: "POST",
      url: "/v1/groups",
      headers: owner.auth,
      payload: bodies.create,
    });
    expect(created.statusCode).toBe(200);
    const res = await f.app.inject({
      method: "POST",
      url: `/v1/groups/${groupId}/commits`,
      headers: owner.auth,
      payload: bodies.commit,
    });
    expect(res.statusCode).toBe(200);
    const { client } = await connectIdentified(gatewayUrl, member);
    clients.push(client);
    return { owner, member, groupId, client };
  };

  it("refuses SENDs beyond the account's budget with VOLLY_E_RATE_LIMITED {messageId, retryAfterMs}, stores none of them and keeps the connection", async () => {
    const { owner, groupId, client } = await group();
    const answers: Answer[] = [];
    for (let i = 0; i < limits.accountMax + 2; i++)
      answers.push(await sendOne(client, groupId, fakeCiphertext(64)));
    expect(answers.slice(0, limits.accountMax).map((a) => a.op)).toEqual(
      Array(limits.accountMax).fill(GatewayOp.SEND_ACK),
    );
    for (const refused of answers.slice(limits.accountMax)) expectRateLimited(refused, "messages");
    await expectStillServing(client);
    expect(await storedMessages(gatewayUrl, owner, groupId)).toBe(limits.accountMax);
  });

  it("shares one budget with the REST API: SENDs use up REST requests and REST requests use up SENDs", async () => {
    const a = await group();
    for (let i = 0; i < limits.accountMax; i++)
      expect((await sendOne(a.client, a.groupId, fakeCiphertext(64))).op).toBe(GatewayOp.SEND_ACK);
    const rest = await f.app.inject({ method: "GET", url: "/v1/key-packages/count", headers: a.member.auth });
    expect(rest.statusCode).toBe(429);
    expect(rest.json()).toMatchObject({ code: "VOLLY_E_RATE_LIMITED" });

    const b = await group();
    for (let i = 0; i < limits.accountMax; i++) {
      const res = await f.app.inject({
        method: "GET",
        url: "/v1/key-packages/count",
        headers: b.member.auth,
      });
      expect(res.statusCode).toBe(200);
    }
    expectRateLimited(await sendOne(b.client, b.groupId, fakeCiphertext(64)), "messages");
  });

  it("counts the bytes of SEND frames: a large message past the byte budget is refused, smaller ones before it pass", async () => {
    const { client, groupId } = await group();
    const big = fakeCiphertext(4_000); // ~5.4 KB of base64url per frame
    expect((await sendOne(client, groupId, big)).op).toBe(GatewayOp.SEND_ACK);
    expect((await sendOne(client, groupId, big)).op).toBe(GatewayOp.SEND_ACK);
    expectRateLimited(await sendOne(client, groupId, big), "bytes");
    expect((await sendOne(client, groupId, fakeCiphertext(16))).op).toBe(GatewayOp.SEND_ACK);
    await expectStillServing(client);
  });

  it("does not limit SENDs with the rate limits off (VOLLY_RATE_LIMIT=off)", async () => {
    const off = await appFixture({ rateLimit: false });
    try {
      const base = await off.app.listen({ port: 0, host: "127.0.0.1" });
      const url = `${base.replace("http", "ws")}/v1/gateway`;
      const owner = await registerOverHttp(off.app);
      const member = await registerOverHttp(off.app);
      const groupId = newId();
      const bodies = await newGroupBodies(groupId, owner, [member]);
      const created = await off.app.inject({
        method: "POST",
        url: "/v1/groups",
        headers: owner.auth,
        payload: bodies.create,
      });
      expect(created.statusCode).toBe(200);
      const commit = await off.app.inject({
        method: "POST",
        url: `/v1/groups/${groupId}/commits`,
        headers: owner.auth,
        payload: bodies.commit,
      });
      expect(commit.statusCode).toBe(200);
      const { client } = await connectIdentified(url, owner);
      await client.untilSynced();
      for (let i = 0; i < 20; i++)
        expect((await sendOne(client, groupId, fakeCiphertext(64))).op).toBe(GatewayOp.SEND_ACK);
      await client.close();
    } finally {
      await off.close();
    }
  });
});

describe.skipIf(!POSTGRES.run || !REDIS_SERVER.run)(
  "gateway SENDs share the account's budget across nodes through Redis",
  () => {
    const limits = {
      windowMs: WINDOW_MS,
      accountMax: 6,
      ipMax: 1_000_000,
      accountBytesMax: 1_000_000,
    } satisfies RateLimitConfig;
    let database: TestDatabase;
    let redis: PrivateRedis;
    const nodes: RunningServer[] = [];
    const temp = removableTempDir();
    const sockets: GatewayClient[] = [];
    beforeAll(async () => {
      POSTGRES.assert();
      REDIS_SERVER.assert();
      database = await createTestDatabase();
      redis = await startPrivateRedis();
      const config = {
        ...DEFAULT_CONFIG,
        port: 0,
        dataDir: temp.dir,
        databaseUrl: database.url,
        redisUrl: redis.url,
        logLevel: "silent" as const,
        rateLimit: limits,
      };
      nodes.push(await startServer(config), await startServer(config));
    });
    afterAll(async () => {
      await Promise.all(sockets.map((c) => c.close()));
      for (const node of nodes) await node.close().catch(() => {});
      await redis?.stop();
      await database?.drop();
      temp.remove();
    });

    const call = async (
      node: RunningServer,
      method: string,
      path: string,
      body?: unknown,
      token?: string,
    ) => {
      const res = await fetch(`${node.url}${path}`, {
        method,
        headers: {
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const register = async (node: RunningServer) => {
      const keys = newKeys();
      const handle = uniqueHandle();
      const reg = await call(node, "POST", "/v1/accounts", registrationBody(handle, keys));
      expect(reg.status).toBe(200);
      const { accountId, deviceId } = reg.body as { accountId: string; deviceId: string };
      const { nonce } = (await call(node, "POST", "/v1/auth/challenge", { deviceId })).body as {
        nonce: string;
      };
      const session = await call(node, "POST", "/v1/auth/session", {
        deviceId,
        nonce,
        signature: signB64(keys, signingInput.session(nonce)),
      });
      const token = (session.body as { token: string }).token;
      return {
        accountId,
        deviceId,
        handle,
        keys,
        token,
        auth: { authorization: `Bearer ${token}` },
      } as HttpDevice;
    };
    const gateway = async (node: RunningServer, device: HttpDevice) => {
      const { client } = await connectIdentified(`${node.url.replace("http", "ws")}/v1/gateway`, device);
      sockets.push(client);
      await client.untilSynced();
      return client;
    };

    it("counts SENDs on one node against REST and SENDs on the other", async () => {
      const [one, two] = nodes as [RunningServer, RunningServer];
      const owner = await register(one);
      const member = await register(one);
      const groupId = newId();
      const bodies = await newGroupBodies(groupId, owner, [member]);
      expect((await call(one, "POST", "/v1/groups", bodies.create, owner.token)).status).toBe(200);
      expect(
        (await call(one, "POST", `/v1/groups/${groupId}/commits`, bodies.commit, owner.token)).status,
      ).toBe(200);

      const onOne = await gateway(one, member);
      for (let i = 0; i < limits.accountMax; i++)
        expect((await sendOne(onOne, groupId, fakeCiphertext(64))).op).toBe(GatewayOp.SEND_ACK);
      expectRateLimited(await sendOne(onOne, groupId, fakeCiphertext(64)), "messages");

      // Node two's REST API sees the budget spent once node one has written its count (≤ 100 ms).
      let status = 0;
      for (let i = 0; i < 100 && status !== 429; i++) {
        status = (await call(two, "GET", "/v1/key-packages/count", undefined, member.token)).status;
        if (status !== 429) await sleep(20);
      }
      expect(status).toBe(429);

      // Node two's gateway learns the shared count with its first SEND of the window; at most that one
      // slips through before it refuses.
      const onTwo = await gateway(two, member);
      const answers: Answer[] = [];
      for (let i = 0; i < 10 && answers.at(-1)?.op !== GatewayOp.ERROR; i++) {
        answers.push(await sendOne(onTwo, groupId, fakeCiphertext(64)));
        await sleep(20);
      }
      expectRateLimited(answers.at(-1)!, "messages");
      expect(answers.filter((a) => a.op === GatewayOp.SEND_ACK).length).toBeLessThanOrEqual(1);
      await expectStillServing(onTwo);
      expect(WebSocket.OPEN).toBe(onOne.ws.readyState);
    });
  },
);
